// A footer with its PSB number but no badge icon: a failing page, whose
// footer the renderer keeps a screenshot of.
document.getElementById("root").innerHTML =
  '<main><h1>无图标的小站</h1><p>一段足够长的正文，让页面看起来像一个真正的网站。</p></main>' +
  '<footer style="background:#eee;padding:20px"><a href="https://beian.miit.gov.cn/">京ICP备2021029384号-1</a> ' +
  '<a href="https://beian.mps.gov.cn/#/query/webSearch?code=11010502048217">京公网安备11010502048217号</a></footer>';

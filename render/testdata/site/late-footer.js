// The footer arrives 800 ms after the script runs, as a lazy-loaded
// widget's would.
setTimeout(function () {
  document.getElementById("root").innerHTML =
    '<main><h1>山海工作室</h1><p>品牌设计与网站建设。</p></main>' +
    '<footer><a href="https://beian.miit.gov.cn/">粤ICP备2020074512号</a> ' +
    '<a href="https://beian.mps.gov.cn/#/query/webSearch?code=44030502006813"><img src="/beian.png">粤公网安备44030502006813号</a></footer>';
}, 800);

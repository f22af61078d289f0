// A page that never settles: a clock changes the DOM every 100 ms, so it
// is judged as it stands at the settle cap.
document.getElementById("root").innerHTML = '<p id="clock"></p><footer>' +
  '<a href="https://beian.miit.gov.cn/">京ICP备2021029384号-1</a> ' +
  '<a href="https://beian.mps.gov.cn/#/query/webSearch?code=11010502048217"><img src="/beian.png">京公网安备11010502048217号</a></footer>';
setInterval(function () { document.getElementById("clock").textContent = String(Date.now()); }, 100);

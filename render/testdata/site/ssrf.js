// Every way a page can make the browser connect somewhere, aimed at the
// canary on loopback and at the cloud metadata address. The test serves
// this with CANARY replaced by the canary's port.
(function () {
  var targets = ["http://127.0.0.1:CANARY/", "https://127.0.0.1:CANARY/", "http://localhost:CANARY/",
                 "http://169.254.169.254/latest/meta-data/"];
  targets.forEach(function (t) {
    fetch(t + "fetch").catch(function () {});
    var img = new Image(); img.src = t + "img.png"; document.body.appendChild(img);
    var f = document.createElement("iframe"); f.src = t + "frame"; document.body.appendChild(f);
    try { new WebSocket(t.replace(/^http/, "ws") + "ws"); } catch (e) {}
  });
  var x = new XMLHttpRequest(); x.open("GET", "http://127.0.0.1:CANARY/xhr"); x.send();
  var f = document.createElement("iframe"); f.src = "file:///etc/passwd"; document.body.appendChild(f);
  document.getElementById("root").innerHTML = '<footer><a href="https://beian.miit.gov.cn/">粤ICP备2020074512号-3</a></footer>';
})();

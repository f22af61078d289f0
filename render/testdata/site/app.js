var Footer = {
  render: function (p) {
    return '<footer class="site-footer"><p>&copy; 2026 ' + p.name + '</p><p>' +
      '<a href="' + p.footer.icp.url + '">' + p.footer.icp.text + '</a> ' +
      '<a href="https://beian.mps.gov.cn/#/query/webSearch?code=' + p.footer.psb.code + '"><img src="/beian.png">' + p.footer.psb.text + '</a></p></footer>';
  }
};
var Page = {
  render: function (p) {
    return '<main><h1>' + p.name + '</h1><p>精选好物，每日上新，满百包邮。</p></main>' + Footer.render(p);
  }
};
Mini.mount(document.getElementById("app"), Page, window.SITE_CONFIG);

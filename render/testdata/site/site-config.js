window.SITE_CONFIG = {
  name: "云栖商城",
  footer: {
    icp: { text: "浙ICP备2021018734号-2", url: "https://beian.miit.gov.cn/" },
    psb: { text: "浙公网安备33010602011975号", code: "33010602011975" }
  }
};

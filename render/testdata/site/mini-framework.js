// A tiny component framework: mount(el, component, props) renders the
// component's template from its props, as Vue or React would.
window.Mini = {
  mount: function (el, component, props) {
    el.innerHTML = component.render(props);
  }
};

/* The one place that touches Dash's browser internals (pinned against dash 4.4.1, requirements.txt).

   Public Dash offers neither of these, so they live here, fenced, and nowhere else in assets/:
   - the renderer's Redux stores: dash-renderer (AppProvider/store.ts) pushes each store it creates onto
     `window.dash_stores` (and the first one onto `window.store`). Only its undo history is read, to trim it
     (assets/dash_history.js says why).
   - dcc.Location's "_dashprivate_pushstate" window event: a link that changes the address without a reload
     fires it so dcc.Location reads the new path (what dcc.Link does inside).
   After a Dash upgrade, check both names in dash/dash-renderer/build/dash_renderer.dev.js and
   dash/dcc/dash_core_components.js; tests/browser/test_wall.py (test_wall006) fails when the history is no
   longer reached, and the drill browser tests when a grid link no longer navigates. */
(function () {
  "use strict";

  function stores() {
    var all = window.dash_stores || (window.store ? [window.store] : []);
    return all.filter(function (store) { return store && typeof store.getState === "function"; });
  }

  window.iocDashRenderer = {
    // The undo histories ({past, future} arrays, mutated in place by the caller) of every renderer store.
    histories: function () {
      return stores().map(function (store) { return store.getState().history; }).filter(Boolean);
    },
    // Go to `href` inside the single-page app, as dcc.Link does (no reload).
    navigate: function (href) {
      window.history.pushState({}, "", href);
      window.dispatchEvent(new CustomEvent("_dashprivate_pushstate"));
    },
    version: "4.4.1"
  };
})();

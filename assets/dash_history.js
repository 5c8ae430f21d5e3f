/* Every page: keep Dash's undo history from growing for as long as the page stays open.

   dash-renderer appends each change of a callback input that did not come from a server answer (an interval
   tick, a clientside set_props) to `history.past`, holding the old value, and copies the whole array on every
   such change (plotly/dash#727, open). The undo/redo buttons are hidden, so nothing reads it but the error
   recovery, which reverts to the last entry. On a wall applying several updates a second, memory and the cost
   of each copy grow without end (docs/wall.md). Keep the last entry and drop the rest; the renderer's store
   is reached only through assets/dash_renderer_shim.js. */
(function () {
  "use strict";
  var KEEP = 1;
  var EVERY_MS = 2000;

  function trim() {
    var renderer = window.iocDashRenderer;  // assets/dash_renderer_shim.js (loaded after this file)
    if (!renderer) { return; }
    renderer.histories().forEach(function (history) {
      if (history.past && history.past.length > KEEP) { history.past.splice(0, history.past.length - KEEP); }
      if (history.future && history.future.length) { history.future.length = 0; }
    });
  }

  window.iocHistory = {trim: trim, keep: KEEP};
  window.setInterval(trim, EVERY_MS);
})();

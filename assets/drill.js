/* Drill-down pages: Leaflet style and marker functions (dashExtensions.drill) and clientside callbacks (dash_clientside.drill). */
(function () {
  "use strict";

  // Styles are computed on the server (ui/drill_map.py) and travel in each feature's properties.
  var leaflet = {
    featureStyle: function (feature) {
      return (feature.properties && feature.properties.style) || {};
    },
    point: function (feature, latlng, context) {
      var p = feature.properties || {}, styles = (context && context.hideout && context.hideout.styles) || [];
      var marker = L.circleMarker(latlng, styles[p.k] || {radius: 5});
      if (feature.properties && feature.properties.tooltip) { marker.bindTooltip(feature.properties.tooltip); }
      return marker;
    },
    // A server-side cluster (ui/drill_complaints.clusters_geojson): its count over a ring of its late / open /
    // done mix; a click zooms in two levels on it. A cell holding a single report is drawn as that report.
    cluster: function (feature, latlng, context) {
      var p = feature.properties || {};
      if (!p.cluster) {
        // A lone report: a small DOM marker in its class colour (few of them at any zoom), its id for a click.
        var dot = L.divIcon({className: "drill-point drill-point-" + (p.k || 0), iconSize: L.point(12, 12),
                             html: '<span data-id="' + (p.id || "") + '"></span>'});
        var single = L.marker(latlng, {icon: dot, keyboard: false});
        if (p.tooltip) { single.bindTooltip(p.tooltip); }
        return single;
      }
      var n = p.n, late = 100 * p.late / n, open = late + 100 * p.open / n;
      var size = n < 10 ? 30 : n < 100 ? 36 : n < 1000 ? 42 : n < 10000 ? 48 : 54;
      var shell = document.querySelector(".shell");
      var label = n.toLocaleString(shell && shell.getAttribute("lang") === "en" ? "en-US" : "vi-VN");
      var ring = "conic-gradient(#D55E00 0 " + late + "%, #56B4E9 " + late + "% " + open + "%, #8fa3b8 " + open + "% 100%)";
      var icon = L.divIcon({
        className: "marker-cluster drill-cluster", iconSize: L.point(size, size),
        html: '<div class="drill-cluster-ring" style="background:' + ring + '"><span data-n="' + n + '">' + label +
              "</span></div>"
      });
      var marker = L.marker(latlng, {icon: icon, keyboard: false, riseOnHover: true});
      if (p.tooltip) { marker.bindTooltip(p.tooltip); }
      marker.on("click", function () {
        var map = marker._map;
        if (map) { map.setView(latlng, Math.min(map.getZoom() + 2, map.getMaxZoom())); }
      });
      return marker;
    }
  };

  var clientside = {
    // The grid writes its own CSV of exactly the rows and columns it shows (sorted and filtered as on screen).
    exportCsv: function (n) {
      return n ? true : window.dash_clientside.no_update;
    }
  };

  // Grid cells: numbers in the page's language (the shell carries lang=); AG Grid exports this same text.
  var grid = {
    drillNumber: function (value, digits, suffix) {
      if (value === null || value === undefined || value === "" || isNaN(value)) { return ""; }
      var shell = document.querySelector(".shell");
      var locale = shell && shell.getAttribute("lang") === "en" ? "en-US" : "vi-VN";
      var text = Number(value).toLocaleString(locale, {minimumFractionDigits: digits, maximumFractionDigits: digits});
      return suffix ? text + " " + suffix : text;
    }
  };

  // A grid cell that links to an item page and navigates like dcc.Link (no reload; a new tab on ctrl/middle click).
  var components = {
    DrillLink: function (props) {
      var params = props.colDef.cellRendererParams;
      var href = params.prefix + encodeURIComponent(props.value) + (params.suffix || "");
      var onClick = function (event) {
        if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey) { return; }
        event.preventDefault();
        window.iocDashRenderer.navigate(href);  // assets/dash_renderer_shim.js
        window.scrollTo(0, 0);
      };
      return React.createElement("a", {href: href, onClick: onClick, className: "drill-link"}, props.value);
    }
  };

  window.dashAgGridFunctions = Object.assign({}, window.dashAgGridFunctions, grid);
  window.dashAgGridComponentFunctions = Object.assign({}, window.dashAgGridComponentFunctions, components);
  window.dashExtensions = Object.assign({}, window.dashExtensions, {drill: leaflet});
  window.dash_clientside = Object.assign({}, window.dash_clientside, {drill: clientside});
})();

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
    }
  };

  var clientside = {
    // Parallel integer lists (1e-5 degree) from callbacks/complaints.py into the GeoJSON the clustered layer takes.
    points: function (data) {
      if (!data || !data.lat) { return {type: "FeatureCollection", features: []}; }
      var scale = data.scale, features = new Array(data.lat.length);
      for (var i = 0; i < data.lat.length; i++) {
        features[i] = {type: "Feature", properties: {k: data.k[i]},
                       geometry: {type: "Point", coordinates: [data.lon[i] / scale, data.lat[i] / scale]}};
      }
      return {type: "FeatureCollection", features: features};
    },
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
        window.history.pushState({}, "", href);
        window.dispatchEvent(new CustomEvent("_dashprivate_pushstate"));
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

/* The wall's map drawing (/wall): Leaflet styles and markers for dash-leaflet, point layers from keyed tables. */
(function () {
  "use strict";

  var SEV = ["low", "medium", "high", "critical"];

  // The root font size (1/40 of the screen height): read once per screen size, a style read costs a layout.
  var remCache = {h: -1, px: 16};
  function rem() {
    if (remCache.h !== window.innerHeight) {
      remCache = {h: window.innerHeight, px: parseFloat(getComputedStyle(document.documentElement).fontSize) || 16};
    }
    return remCache.px;
  }

  function icon(html, size, cls) {
    return L.divIcon({html: html, className: cls || "wall-icon", iconSize: [size, size]});
  }

  function marker(latlng, html, size, ctx, cls) {
    // Not interactive: nobody touches a wall, and plain markers are cheaper.
    return L.marker(latlng, {icon: icon(html, size, cls), pane: ctx.pane, interactive: false, keyboard: false});
  }

  // A ring chart of class counts (colour order = legend order), total in the middle.
  function donut(counts, pal, pulse) {
    var total = counts.reduce(function (a, b) { return a + b; }, 0);
    var size = Math.round(rem() * (1.4 + Math.min(1.0, Math.log10(total + 1) * 0.5)));
    var offset = 25, rings = "";
    counts.forEach(function (c, i) {
      if (!c) { return; }
      var pct = 100 * c / total;
      rings += '<circle r="15.915" cx="21" cy="21" fill="none" stroke="' + pal[i] + '" stroke-width="7" ' +
        'stroke-dasharray="' + pct.toFixed(2) + " " + (100 - pct).toFixed(2) + '" stroke-dashoffset="' +
        offset.toFixed(2) + '"/>';
      offset -= pct;
    });
    var html = '<svg viewBox="0 0 42 42" width="' + size + '" height="' + size + '">' +
      '<circle r="12" cx="21" cy="21" fill="#0b1118" fill-opacity="0.9"/>' + rings +
      '<text x="21" y="21" text-anchor="middle" dominant-baseline="central">' + total + "</text></svg>";
    return {html: html, size: size, cls: "wall-icon wall-cluster" + (pulse ? " pulse" : "")};
  }

  function level(h, key) {
    var v = h.lv[key];
    return v && h.now - v[1] <= h.fresh ? v[0] : null;
  }

  var leaflet = {
    traffic: function (feature, ctx) {
      var h = ctx.hideout, lv = level(h, feature.properties.segment_id);
      if (lv === null) { return {color: h.none, weight: 2, opacity: 0.8, dashArray: "2 6"}; }
      return {color: h.pal[lv], weight: 2.5 + lv * 1.3, opacity: 1, dashArray: null, lineCap: "round"};
    },
    fireUnit: function (feature, ctx) {
      var lv = level(ctx.hideout, feature.properties.code);
      if (lv === null) { return {stroke: false, fillOpacity: 0, className: "fire-none"}; }
      return {stroke: false, fillColor: ctx.hideout.pal[lv - 1], fillOpacity: 0.5, className: "fire-unit"};
    },
    forestArea: function (feature, ctx) {
      var p = feature.properties, h = ctx.hideout;
      var lv = level(h, p.unit_code + "/" + p.area_id);
      if (lv === null) { lv = level(h, p.unit_code); }
      if (lv === null) { return {color: "#8fa3b8", weight: 1, dashArray: "3 4", fillOpacity: 0}; }
      return {color: "#f5f5f5", weight: 1.2, fillColor: h.pal[lv - 1], fillOpacity: 0.85};
    },
    hotspot: function (feature, latlng, ctx) {
      var p = feature.properties, u = rem();
      var colour = ctx.hideout.pal[[4, 3, 1][p.a]];
      var html = '<i class="hs-tri" style="--c:' + colour + '"></i><b class="hs-age">' + p.l + "</b>";
      return marker(latlng, html, Math.round(u * 1.1), ctx, "wall-icon wall-hotspot age-" + p.a);
    },
    camera: function (feature, latlng, ctx) {
      var p = feature.properties, u = rem(), pal = ctx.hideout.pal;
      if (p.o) { return marker(latlng, '<i class="cam cam-off"></i>', Math.round(u * 0.75), ctx); }
      var html = '<i class="cam sev-' + SEV[p.s] + '" style="--c:' + pal[p.s + 1] + '"></i>';
      return marker(latlng, html, Math.round(u * (0.5 + 0.15 * p.s)), ctx, p.s === 3 ? "wall-icon pulse" : null);
    },
    cameraCluster: function (feature, latlng, index, ctx) {
      var counts = [0, 0, 0, 0, 0];  // offline, low, medium, high, critical
      index.getLeaves(feature.properties.cluster_id, Infinity).forEach(function (leaf) {
        counts[leaf.properties.o ? 0 : leaf.properties.s + 1] += 1;
      });
      var d = donut(counts, ctx.hideout.pal, counts[4] > 0);
      return marker(latlng, d.html, d.size, ctx, d.cls);
    },
    complaint: function (feature, latlng, ctx) {
      var p = feature.properties, u = rem();
      var html = '<i class="cpl k' + p.k + (p.u ? " urgent" : "") + '" style="--c:' + ctx.hideout.pal[p.k] + '"></i>';
      return marker(latlng, html, Math.round(u * 0.6), ctx);
    },
    complaintCluster: function (feature, latlng, index, ctx) {
      var counts = [0, 0, 0];  // on time, due within 24 h, overdue
      index.getLeaves(feature.properties.cluster_id, Infinity).forEach(function (leaf) {
        counts[leaf.properties.k] += 1;
      });
      var d = donut(counts, ctx.hideout.pal, false);
      return marker(latlng, d.html, d.size, ctx, d.cls);
    }
  };

  // ---------------------------------------------------------------- point layers from the keyed tables

  function cameraLayer(store, cutoff) {
    var features = [];
    Object.keys(store).forEach(function (id) {
      var e = store[id], alert = e.s !== undefined && e.t >= cutoff;
      if (e.o || alert) { features.push(point(e.lo, e.la, {id: id, s: alert ? e.s : -1, o: e.o ? 1 : 0})); }
    });
    return collection(features);
  }

  function hotspotLayer(store, t, hours, ageText) {
    var features = [];
    Object.keys(store).forEach(function (id) {
      var e = store[id], age = t - e.t, a = hours.findIndex(function (h) { return age < h * 3600; });
      if (a >= 0) { features.push(point(e.lo, e.la, {id: id, a: a, l: ageText(Math.max(0, age))})); }
    });
    return collection(features);
  }

  function complaintLayer(store, t) {
    var features = [];
    Object.keys(store).forEach(function (id) {
      var e = store[id], k = !e.d ? 0 : e.d <= t ? 2 : e.d - t <= 86400 ? 1 : 0;  // on time, due in 24 h, overdue
      features.push(point(e.lo, e.la, {id: id, k: k, u: e.u}));
    });
    return collection(features);
  }

  function point(lon, lat, props) {
    return {type: "Feature", geometry: {type: "Point", coordinates: [lon, lat]}, properties: props};
  }

  function collection(features) { return {type: "FeatureCollection", features: features}; }

  function clusterOptions() { return {radius: Math.round(3 * rem()), maxZoom: 15}; }

  // dash-leaflet looks its functions up here; assets/wall.js uses the builders.
  window.dashExtensions = Object.assign({}, window.dashExtensions, {wall: leaflet});
  window.iocWallMap = {
    rem: rem, clusterOptions: clusterOptions, cameraLayer: cameraLayer, hotspotLayer: hotspotLayer,
    complaintLayer: complaintLayer
  };
})();

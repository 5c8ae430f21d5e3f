/* The wall's live side (/wall): the push wake-up, pull bookkeeping, the age clocks, the clientside callbacks. */
(function () {
  "use strict";

  var M = function () { return window.iocWallMap; };  // assets/wall_map.js (loaded after this file)
  var RESYNC_MS = 6 * 3600 * 1000;
  // Everything the page learned, kept here (not in Dash stores) because it only drives what the clocks print.
  var S = {
    cfg: null, es: null, n: 0, until: null, cursor: null, pushed: 0, inflight: false, pending: false, sentAt: 0, lastMsg: 0, timer: null,
    skew: 0, streams: {}, healthAt: 0, kpiAt: null, sparkAt: null, layers: {}, linkAt: null, drawn: {}, resyncAt: Date.now()
  };

  function now() { return Date.now() / 1000 + S.skew; }  // server clock, as far as the health tick can tell
  function fill(tpl, values) { return tpl.replace(/\{(\w+)\}/g, function (_, k) { return values[k]; }); }

  function ageText(age) {
    var f = S.cfg.fmt;
    if (age < 60) { return fill(f.s, {n: Math.floor(age)}); }
    if (age < 3600) { return fill(f.m, {n: Math.floor(age / 60)}); }
    if (age < 86400) { return fill(f.h, {n: Math.floor(age / 3600)}); }
    return fill(f.d, {n: Math.floor(age / 86400)});
  }

  // ---------------------------------------------------------------- push wake-up and pull bookkeeping

  function wake() {
    if (S.inflight) { S.pending = true; return; }  // one pull at a time; the next one reads everything after it
    S.inflight = true;
    S.pending = false;
    S.sentAt = Date.now();
    S.n += 1;
    // Every 6 hours one pull takes the present whole: expired hotspots and alerts leave the page's tables, and
    // anything a long-running page might have drifted on is set right.
    var resync = Date.now() - S.resyncAt > RESYNC_MS;
    if (resync) { S.resyncAt = Date.now(); }
    window.dash_clientside.set_props(S.cfg.wake, {data: {n: S.n, until: S.until, resync: resync}});
  }

  function sameIds(a, b) {
    if (!a || !b) { return false; }
    var ka = Object.keys(a), kb = Object.keys(b);
    return ka.length === kb.length && ka.every(function (k) { return a[k] === b[k]; });
  }

  // A change sent ready-made (callbacks/push.py): the Patch for the range (from, to]. It is applied only if
  // the page's cursor stands exactly at `from` and no pull is under way; otherwise it is a wake-up like any
  // other, and the pull reads from the cursor up to `to`. Either way every event reaches the page once.
  // set_props applies a Patch to the store at once (no merging), and moving the cursor runs `pulled`.
  function update(data) {
    var m;
    try { m = JSON.parse(data); } catch (err) { S.until = null; wake(); return; }
    if (S.inflight || S.pending || !sameIds(S.cursor, m.from)) { S.until = m.to; wake(); return; }
    var set = window.dash_clientside.set_props;
    if (m.live) { set(S.cfg.live, {data: m.live}); }
    S.cursor = m.to;
    S.pushed += 1;
    set(S.cfg.cursor, {data: {ids: m.to, more: false, at: now(), pushed: true}});
  }

  function open() {
    var es = new EventSource(S.cfg.push);
    S.es = es;
    S.lastMsg = Date.now();
    function alive() { S.lastMsg = Date.now(); }
    // Each carries the stream ids it reports up to: the pull reads exactly that range (shared by every wall).
    function upTo(e) { alive(); try { S.until = JSON.parse(e.data); } catch (err) { S.until = null; } wake(); }
    es.addEventListener("ready", upTo);
    es.addEventListener("changed", upTo);
    es.addEventListener("update", function (e) { alive(); update(e.data); });
    es.addEventListener("ping", function () {
      alive();
      if (!S.inflight && !S.pending) { S.linkAt = now(); }  // nothing new up to now: the picture is current
    });
    es.addEventListener("down", alive);  // the server answers, Redis does not: the banner says so
    es.onerror = function () {
      if (es.readyState === 2) { S.es = null; setTimeout(function () { if (!S.es) { open(); } }, 2000); }
    };
  }

  function watch() {
    if (!document.getElementById(S.cfg.root)) { stop(); return; }
    // A pull that never came back (server or Redis down): try again, every 5 s until one succeeds; its
    // cursor has not moved, so whatever arrived meanwhile is read then.
    if (S.inflight && Date.now() - S.sentAt > 5000) { S.inflight = false; wake(); }
    // Changes mostly arrive ready-made, without a pull: the 6-hourly reload of the present is due by the clock.
    if (!S.inflight && Date.now() - S.resyncAt > RESYNC_MS) { wake(); }
    // Not even a ping for 12 s: the stream is stuck (a proxy, a dead worker); open a new one.
    if (S.es && Date.now() - S.lastMsg > 12000) { S.es.close(); S.es = null; open(); }
    S.ticks = (S.ticks || 0) + 1;
    if (S.ticks % 10 === 0) { trimDashHistory(); }
    render();
  }

  // Dash's renderer appends every input change made in the browser (each interval tick, each wake-up) to an
  // undo history that nothing reads and nothing trims, copying the whole list each time: over days that is
  // the wall's one unbounded list. Keep its tail. (Dash 4.4; the store is the renderer's own window handle.)
  function trimDashHistory() {
    (window.dash_stores || []).forEach(function (store) {
      var h = store && store.getState && store.getState().history;
      if (h && h.past && h.past.length > 50) { h.past.splice(0, h.past.length - 10); }
      if (h && h.future && h.future.length > 50) { h.future.splice(0, h.future.length - 10); }
    });
  }

  function stop() {
    if (S.es) { S.es.close(); }
    clearInterval(S.timer);
    S.es = null;
    S.timer = null;
  }

  // ---------------------------------------------------------------- ages, clocks and the offline banner

  function stampFor(key) {
    if (key.indexOf("stream:") === 0) { return S.streams[key.slice(7)]; }
    if (key.indexOf("layer:") === 0) { return S.layers[key.slice(6)]; }
    return {kpi: S.kpiAt, spark: S.sparkAt, link: S.linkAt}[key];
  }

  function limits(key) {
    return S.cfg.ages[key];
  }

  // A stream's (and its map layer's) state is judged on the server from its data time, its cadence and its
  // producers' liveness (data_sources.freshness): age alone cannot tell a quiet source from a dead one.
  function streamState(key) {
    var name = key.indexOf("stream:") === 0 ? key.slice(7) : key.indexOf("layer:") === 0 ? key.slice(6) : null;
    if (name === null) { return null; }
    return (S.states && S.states[name]) || "none";
  }

  function clockText(epoch) {
    return new Date(epoch * 1000).toLocaleTimeString("vi-VN", {timeZone: "Asia/Ho_Chi_Minh", hour12: false});
  }

  function render() {
    var t = now();
    document.querySelectorAll("[data-age]").forEach(function (el) {
      var key = el.getAttribute("data-age"), at = stampFor(key), lim = limits(key), judged = streamState(key);
      var age = at === null || at === undefined ? null : Math.max(0, t - at);
      var state = judged !== null ? judged : age === null ? "none" : age >= lim[1] ? "alarm" : age >= lim[0] ? "warn" : "ok";
      el.textContent = age === null ? S.cfg.fmt.none : fill(S.cfg.fmt.ago, {t: ageText(age)});
      el.setAttribute("data-state", state);
      var cell = el.closest("[data-stream]");
      if (cell) { cell.setAttribute("data-state", state); }
    });
    document.querySelectorAll("[data-clock]").forEach(function (el) {
      var at = stampFor(el.getAttribute("data-clock"));
      el.textContent = at ? clockText(at) : "–";
    });
    var clock = document.getElementById(S.cfg.clock);
    if (clock) { clock.textContent = clockText(t); }
    var offline = document.getElementById(S.cfg.offline);
    if (offline) {
      // No health answer for 6 s: the server itself is unreachable (Redis outages have their own banner).
      var lost = S.healthAt && Date.now() / 1000 - S.healthAt > 6;
      if (lost) { offline.setAttribute("data-show", "1"); } else { offline.removeAttribute("data-show"); }
    }
  }

  // ---------------------------------------------------------------- clientside callbacks (callbacks/wall.py)

  var NO = function () { return window.dash_clientside.no_update; };

  var DAY = new Intl.DateTimeFormat("en-CA", {timeZone: "Asia/Ho_Chi_Minh"});  // YYYY-MM-DD in Huế
  var HMS = new Intl.DateTimeFormat("vi-VN", {timeZone: "Asia/Ho_Chi_Minh", hour12: false,
    hour: "2-digit", minute: "2-digit", second: "2-digit"});
  var DM = new Intl.DateTimeFormat("vi-VN", {timeZone: "Asia/Ho_Chi_Minh", hour12: false,
    day: "2-digit", month: "2-digit", hour: "2-digit", minute: "2-digit"});

  // HH:MM:SS in Huế time, with the day in front when it is not today's.
  function whenText(epoch) {
    var at = new Date(epoch * 1000);
    return DAY.format(at) === DAY.format(new Date(now() * 1000)) ? HMS.format(at) : DM.format(at);
  }

  // The rows a page shows: the first (newest) row of each event id. The server keeps the list to one row per
  // id already; this holds even if a copy ever slipped into the store, so one event can never fill the list.
  function uniqueRows(rows) {
    var seen = {};
    return rows.filter(function (row) {
      if (seen[row[0]]) { return false; }
      seen[row[0]] = true;
      return true;
    });
  }

  // Ticker rows [id, epoch time, severity, label, what, where] -> <li data-alert-id>, text only; kept nodes are
  // reused while their row is unchanged (a newer version of an event draws its row again).
  function drawTicker(list, rows) {
    var byId = {};
    Array.prototype.forEach.call(list.children, function (li) {
      var id = li.getAttribute("data-alert-id");
      if (byId[id]) { list.removeChild(li); } else { byId[id] = li; }
    });
    var wanted = {};
    rows.forEach(function (row, i) {
      wanted[row[0]] = true;
      var key = JSON.stringify(row), li = byId[row[0]];
      if (li && li.getAttribute("data-row") !== key) { list.removeChild(li); li = null; }
      if (!li) {
        li = document.createElement("li");
        li.className = "tk-row sev-" + row[2];
        li.setAttribute("data-alert-id", row[0]);
        li.setAttribute("data-row", key);
        li.setAttribute("data-ts", String(row[1]));
        [["tk-time", whenText(row[1])], ["tk-sev sev-" + row[2], row[3]], ["tk-what", row[4]], ["tk-where", row[5]]]
          .forEach(function (part) {
            var span = document.createElement("span");
            span.className = part[0];
            span.textContent = part[1];
            li.appendChild(span);
          });
        byId[row[0]] = li;
      }
      if (list.children[i] !== li) { list.insertBefore(li, list.children[i] || null); }
    });
    Object.keys(byId).forEach(function (id) {
      if (!wanted[id] && byId[id].parentNode === list) { list.removeChild(byId[id]); }
    });
  }

  var clientside = {
    start: function (cfg) {
      if (cfg) {
        S.cfg = cfg;
        if (!S.es) { open(); }
        if (!S.timer) { S.timer = setInterval(watch, 1000); }
        render();
      }
      return NO();
    },
    pulled: function (cursor) {
      if (!cursor) { return; }
      S.linkAt = cursor.at;
      // A pushed update moved the cursor itself (and may have moved it again since): only a pull's answer
      // ends a pull and sets where the page stands.
      if (!cursor.pushed) {
        S.inflight = false;
        S.cursor = cursor.ids || null;
      }
      Object.keys(cursor.ids || {}).forEach(function (name) {
        var id = cursor.ids[name];
        if (id && id !== "0") { S.layers[name] = parseInt(id.split("-")[0], 10) / 1000; }
      });
      if (!cursor.pushed && (S.pending || cursor.more)) { wake(); }
    },
    noteHealth: function (h) {
      if (!h) { return; }
      S.skew = h.now - Date.now() / 1000;
      S.healthAt = Date.now() / 1000;
      if (h.streams) { S.streams = h.streams; }  // Redis down: keep the last known times, they keep ageing
      if (h.states) { S.states = h.states; }
      if (S.cfg) { render(); }
    },
    noteKpi: function (at) { if (at) { S.kpiAt = at; } },
    noteSpark: function (at) { if (at) { S.sparkAt = at; } },
    layers: function (live, tick, cfg, trafficHideout, fireHideout) {
      // Parts of the store a Patch left alone keep their identity: only changed parts (and, on the clock
      // tick, everything that ages) are drawn again; the rest stays exactly as it is on screen.
      S.cfg = S.cfg || cfg;  // this may run before start()
      live = live || {};
      var aged = tick !== S.drawn.tick, t = now(), out = [];
      function changed(part) { return aged || live[part] !== S.drawn[part]; }
      if (changed("traffic")) {
        out[0] = Object.assign({}, trafficHideout, {lv: live.traffic || {}, now: t});
      }
      if (changed("fire")) {
        out[1] = Object.assign({}, fireHideout, {lv: live.fire || {}, now: t});
        out[2] = out[1];
      }
      var map = M();
      if (changed("cameras")) {
        out[3] = map.cameraLayer(live.cameras || {}, t - cfg.minutes * 60);
        out[4] = map.clusterOptions();
      }
      if (changed("hotspots")) { out[5] = map.hotspotLayer(live.hotspots || {}, t, cfg.hotspot_hours, ageText); }
      if (changed("complaints")) { out[6] = map.complaintLayer(live.complaints || {}, t); out[7] = map.clusterOptions(); }
      if (live.ticker !== S.drawn.ticker) {
        var list = document.getElementById("wall-ticker"), rows = uniqueRows(live.ticker || []);
        if (list) { drawTicker(list, rows); }
        out[8] = rows.length;
      }
      S.drawn = Object.assign({}, live, {tick: tick});
      var result = [];
      for (var i = 0; i < 9; i += 1) { result.push(out[i] === undefined ? NO() : out[i]); }
      return result;
    },
    rotate: function (n, cfg) {
      var view = cfg.views[(n || 0) % cfg.views.length];
      return [cfg.classes[view], cfg.titles[view]];
    }
  };

  window.iocWall = S;  // read-only diagnostics (bench/ and the browser console)
  window.dash_clientside = Object.assign({}, window.dash_clientside, {wall: clientside});
})();

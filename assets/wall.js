/* The wall's live side (/wall): ready-made updates, the age clocks, layers and ticker, the clientside callbacks.
   The push channel and its pull bookkeeping are assets/live_channel.js's; this file says what each message does. */
(function () {
  "use strict";

  var M = function () { return window.iocWallMap; };  // assets/wall_map.js (loaded after this file)
  var LC = function () { return window.iocLiveChannel; };  // assets/live_channel.js (loaded after this file)
  var RESYNC_MS = 6 * 3600 * 1000;
  // Everything the page learned, kept here (not in Dash stores) because it only drives what the clocks print.
  var S = {
    cfg: null, ch: null, cursor: null, pushed: 0, timer: null,
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

  function channel() {
    if (!S.ch) {
      // Every 6 hours one pull takes the present whole: expired hotspots and alerts leave the page's tables, and
      // anything a long-running page might have drifted on is set right.
      S.ch = new (LC().Channel)(function (n, until) {
        var resync = Date.now() - S.resyncAt > RESYNC_MS;
        if (resync) { S.resyncAt = Date.now(); }
        window.dash_clientside.set_props(S.cfg.wake, {data: {n: n, until: until, resync: resync}});
      });
    }
    return S.ch;
  }

  function wake() { channel().wake(); }

  // A change sent ready-made (server/push.py): the Patch for the range (from, to]. It is applied only if
  // the page's cursor stands exactly at `from` and no pull is under way; otherwise it is a wake-up like any
  // other, and the pull reads from the cursor up to `to`. Either way every event reaches the page once.
  // set_props applies a Patch to the store at once (no merging), and moving the cursor runs `pulled`.
  function update(data) {
    var m, ch = channel();
    try { m = JSON.parse(data); } catch (err) { ch.until = null; wake(); return; }
    if (ch.busy() || !LC().sameIds(S.cursor, m.from)) { ch.until = m.to; wake(); return; }
    var set = window.dash_clientside.set_props;
    if (m.live) { set(S.cfg.live, {data: m.live}); }
    S.cursor = m.to;
    S.pushed += 1;
    set(S.cfg.cursor, {data: {ids: m.to, more: false, at: now(), pushed: true}});
  }

  function open() {
    var ch = channel();
    // Each carries the stream ids it reports up to: the pull reads exactly that range (shared by every wall).
    function upTo(e) { try { ch.until = JSON.parse(e.data); } catch (err) { ch.until = null; } wake(); }
    ch.open(S.cfg.push, {
      ready: upTo,
      changed: upTo,
      update: function (e) { update(e.data); },
      ping: function () { if (!ch.busy()) { S.linkAt = now(); } },  // nothing new up to now: the picture is current
      down: null  // the server answers, Redis does not: the banner says so (the message keeps the stream alive)
    });
  }

  function watch() {
    if (!document.getElementById(S.cfg.root)) { stop(); return; }
    var ch = channel();
    ch.check();  // a lost pull is sent again, a silent stream reopened
    // Changes mostly arrive ready-made, without a pull: the 6-hourly reload of the present is due by the clock.
    if (!ch.inflight && Date.now() - S.resyncAt > RESYNC_MS) { wake(); }
    render();
  }

  function stop() {
    if (S.ch) { S.ch.close(); }
    clearInterval(S.timer);
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
        if (!channel().es) { open(); }
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
      var again = false;
      if (!cursor.pushed) {
        again = channel().answered();
        S.cursor = cursor.ids || null;
      }
      Object.keys(cursor.ids || {}).forEach(function (name) {
        var id = cursor.ids[name];
        if (id && id !== "0") { S.layers[name] = parseInt(id.split("-")[0], 10) / 1000; }
      });
      if (!cursor.pushed && (again || cursor.more)) { wake(); }
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
        var list = document.getElementById("wall-ticker"), rows = LC().uniqueRows(live.ticker || [])  // one row per event id, even if a copy slipped into the store;
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

  // Read-only diagnostics (tests, bench/ and the browser console): the channel's state shows through S.
  ["es", "n", "until", "inflight", "pending"].forEach(function (key) {
    Object.defineProperty(S, key, {enumerable: true, get: function () { return S.ch ? S.ch[key] : null; }});
  });
  window.iocWall = S;
  window.dash_clientside = Object.assign({}, window.dash_clientside, {wall: clientside});
})();

/* Duty console "/console": wake-ups from the wall's push channel, incoming rows, filters, keys, sound and flash. */
(function () {
  "use strict";
  var S = {cfg: null, ch: null, ctx: null, muted: false, alarms: 0, keys: false, down: false, cursor: null, ticks: 0};
  var LC = function () { return window.iocLiveChannel; };  // assets/live_channel.js (loaded after this file)

  function api() {
    try {
      return window.dash_ag_grid && S.cfg ? window.dash_ag_grid.getApi(S.cfg.grid) : null;
    } catch (e) {
      return null;  // the grid is not drawn yet (or the page was left)
    }
  }

  // One pull in flight at a time (assets/live_channel.js): a wake-up meanwhile is kept for when the answer is in.
  // The pull reads up to the newest ids this page knows exist (push messages, health ticks): consoles woken by
  // the same message then ask for the same range, which the server reads once for all of them.
  function channel() {
    if (!S.ch) {
      S.ch = new (LC().Channel)(function (n, until) {
        window.dash_clientside.set_props(S.cfg.wake, {data: {n: n, until: until}});
      });
    }
    return S.ch;
  }

  function wake() { channel().wake(); }

  function learn(ids) { channel().until = LC().mergeIds(channel().until, ids); }

  // The push message only says "something changed": the pull reads from the page's cursor, so nothing is lost.
  function listen() {
    channel().open(S.cfg.push, {
      ready: wake,
      changed: wakeIfQueued,
      update: wakeIfQueued  // the wall's ready-made updates are not for us: only a wake-up
    });
  }

  // Most of the feed is traffic readings, which never queue anything: a message whose queue streams have not
  // passed our cursor needs no pull (at 50 events/s that is most of them). Anything unreadable still wakes.
  var QUEUED = ["camera", "fire", "complaint"];
  function wakeIfQueued(e) {
    var ids = LC().messageIds(e.data);
    learn(ids);
    if (!S.cursor || !ids || LC().passed(ids, S.cursor, QUEUED)) { wake(); }
  }

  // ---------------------------------------------------------------- sound
  function soundState() {
    if (S.muted) { return "muted"; }
    return S.ctx && S.ctx.state === "running" ? "on" : "blocked";
  }

  function showSound() {
    var el = document.getElementById(S.cfg.sound);
    if (!el) { return; }
    var st = soundState();
    el.setAttribute("data-state", st);
    el.setAttribute("data-alarms", String(S.alarms));
    el.textContent = S.cfg.text[st];
  }

  function ensureContext() {
    var Ctx = window.AudioContext || window.webkitAudioContext;
    if (!S.ctx && Ctx) { S.ctx = new Ctx(); S.ctx.onstatechange = showSound; }
    return S.ctx;
  }

  function beep() {
    var ctx = S.ctx;
    if (S.muted || !ctx || ctx.state !== "running") { return; }
    [0, 0.25].forEach(function (at) {  // two short 880 Hz tones: generated, no audio file
      var osc = ctx.createOscillator(), gain = ctx.createGain();
      osc.frequency.value = 880;
      gain.gain.setValueAtTime(0.2, ctx.currentTime + at);
      gain.gain.exponentialRampToValueAtTime(0.001, ctx.currentTime + at + 0.2);
      osc.connect(gain).connect(ctx.destination);
      osc.start(ctx.currentTime + at);
      osc.stop(ctx.currentTime + at + 0.2);
    });
  }

  // One button: blocked -> (a user gesture may start audio) on -> muted -> on.
  function toggleSound() {
    var st = soundState();
    if (st === "on") { S.muted = true; } else {
      S.muted = false;
      var ctx = ensureContext();
      if (ctx) { ctx.resume().then(showSound); }
    }
    try { window.localStorage.setItem("ioc-console-muted", S.muted ? "1" : "0"); } catch (e) { /* private mode */ }
    showSound();
  }

  function alarm() {
    S.alarms += 1;
    beep();
    var root = document.getElementById(S.cfg.root);
    if (root) {
      root.classList.remove("console-alarm");
      void root.offsetWidth;  // restart the CSS animation
      root.classList.add("console-alarm");
    }
    showSound();
  }

  // ---------------------------------------------------------------- keys
  function move(step) {
    var a = api();
    if (!a) { return; }
    var sel = a.getSelectedNodes()[0];
    var idx = sel && sel.rowIndex !== null ? sel.rowIndex + step : 0;
    idx = Math.max(0, Math.min(a.getDisplayedRowCount() - 1, idx));
    var node = a.getDisplayedRowAtIndex(idx);
    if (node) { node.setSelected(true, true); a.ensureIndexVisible(idx); }
  }

  function onKey(ev) {
    var tag = (ev.target && ev.target.tagName) || "";
    if (tag === "INPUT" || tag === "TEXTAREA" || ev.ctrlKey || ev.metaKey || ev.altKey) {
      if (ev.key === "Escape" && ev.target.blur) { ev.target.blur(); }
      return;
    }
    if (!document.getElementById(S.cfg.root)) { return; }
    if (ev.key === "j") { move(1); } else if (ev.key === "k") { move(-1); } else if (ev.key === "/") {
      ev.preventDefault();
      document.getElementById(S.cfg.search).focus();
    } else if (ev.key === "a") {
      document.getElementById(S.cfg.ack).click();
    } else if (ev.key === "Enter") {
      var root = document.getElementById(S.cfg.root);
      root.classList.add("console-detail-open");
      document.getElementById(S.cfg.comment).focus();
      ev.preventDefault();
    } else { return; }
  }

  // Another console changed these alerts: merge their new state into our rows (and the selection, so the
  // detail shows it and our next action names the new version).
  function patchStates(a, states) {
    var update = [], picked = null;
    (states || []).forEach(function (st) {
      var node = a.getRowNode(st.alert_id);
      if (!node) { return; }
      var data = Object.assign({}, node.data, st, {flash: false});
      update.push(data);
      if (node.isSelected()) { picked = data; }
    });
    if (update.length) { a.applyTransaction({update: update}); }
    if (picked) { window.dash_clientside.set_props(S.cfg.grid, {selectedRows: [picked]}); }
  }

  window.dash_clientside = window.dash_clientside || {};
  window.dash_clientside.console = {
    start: function (cfg) {
      S.cfg = cfg;
      try { S.muted = window.localStorage.getItem("ioc-console-muted") === "1"; } catch (e) { S.muted = false; }
      if (!S.keys) { document.addEventListener("keydown", onKey); S.keys = true; }
      ensureContext();  // created suspended until the user interacts: the button then says "blocked"
      var btn = document.getElementById(cfg.sound);
      if (btn) { btn.onclick = toggleSound; }
      showSound();
      listen();
      return {n: 0};
    },
    pulled: function (cursor) {
      if (cursor && cursor.ids) { S.cursor = cursor.ids; }
      var again = channel().answered();
      // A burst longer than one pull, or a wake-up that came while pulling: read on at once.
      if ((cursor && cursor.more) || again) { wake(); }
    },
    incoming: function (data) {
      var a = api();
      if (!data || !a) { return; }
      var add = [], update = [], critical = false;
      (data.rows || []).forEach(function (row) {
        if (a.getRowNode(row.alert_id)) { update.push(row); } else {
          add.push(row);
          critical = critical || row.severity === "critical";
        }
      });
      var remove = (data.remove || []).map(function (id) {
        var node = a.getRowNode(id);
        return node ? node.data : null;
      }).filter(Boolean);
      if (add.length || update.length || remove.length) {
        a.applyTransaction({add: add, update: update, remove: remove});
      }
      patchStates(a, data.states);
      if (critical) { alarm(); }
    },
    // Every health tick: after an outage, or when another console changed an alert, pull from the cursor.
    health: function (h) {
      if (!h || !S.cfg) { return; }
      S.ticks += 1;
      channel().check();  // a lost pull is sent again, a silent stream reopened
      if (!h.redis) { S.down = true; return; }
      learn(h.heads);
      var back = S.down;
      S.down = false;
      // Before the first load, leave it to the push channel's "ready" for a tick rather than load twice.
      if (back || (S.cursor ? LC().behind(h.heads, S.cursor) : S.ticks > 1)) { wake(); }
    },
    filters: function (search, kind, unit, agency, state) {
      var a = api();
      if (!a) { return; }
      var chosen = {kind: kind, unit_code: unit, agency: agency, state: state}, model = {};
      Object.keys(chosen).forEach(function (f) {
        if (chosen[f]) { model[f] = {filterType: "text", type: "equals", filter: chosen[f]}; }
      });
      a.setGridOption("quickFilterText", search || "");
      a.setFilterModel(model);
    }
  };
}());

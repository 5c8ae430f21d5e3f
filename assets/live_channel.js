/* The live pages' push channel (/wall and /console): the EventSource, its reconnects, the pull bookkeeping.

   The server (server/push.py) sends "ready" and "changed" (the stream ids it reports up to), "update" (the
   wall's ready-made change for a range), "ping" while quiet and "down" while Redis is unreachable. A message
   only wakes a pull: the page's pull reads from its own cursor, so a lost message loses no event. Each page
   keeps its own parts (the wall applies updates; the console wakes only for its queue streams) and passes
   them here as handlers. The pure helpers below load under `node --test` too (tests/js/). */
(function (root, factory) {
  "use strict";
  var api = factory();
  if (typeof module === "object" && module.exports) { module.exports = api; } else { root.iocLiveChannel = api; }
}(typeof self !== "undefined" ? self : this, function () {
  "use strict";

  var STUCK_PULL_MS = 5000;   // a pull with no answer for this long (server or Redis down) is sent again
  var SILENT_MS = 12000;      // no message, not even a ping (every 4 s), for this long: the stream is stuck
  var REOPEN_MS = 2000;       // after the server closed the stream

  // ---------------------------------------------------------------- pure helpers

  // Stream ids "ms-seq" compared as numbers: is `a` after `b`? (a missing id counts as "0")
  function after(a, b) {
    var x = String(a || "0").split("-").map(Number), y = String(b || "0").split("-").map(Number);
    return x[0] !== y[0] ? x[0] > y[0] : (x[1] || 0) > (y[1] || 0);
  }

  // The stream ids a message carries: "ready"/"changed" send {stream: id}, "update" sends {from, to, live}.
  // null when the body is unreadable or names no ids.
  function messageIds(data) {
    var d;
    try { d = JSON.parse(data); } catch (err) { return null; }
    if (d && typeof d.to === "object") { d = d.to; }
    return d && typeof d === "object" ? d : null;
  }

  // `known` with every id of `ids` that is newer (a new object; `known` may be null).
  function mergeIds(known, ids) {
    if (!ids || typeof ids !== "object") { return known; }
    var out = Object.assign({}, known || {});
    Object.keys(ids).forEach(function (name) {
      if (typeof ids[name] === "string" && (!out[name] || after(ids[name], out[name]))) { out[name] = ids[name]; }
    });
    return out;
  }

  // Is any of the `names` streams in `ids` past the `cursor`?
  function passed(ids, cursor, names) {
    return names.some(function (name) {
      return ids[name] !== undefined && after(ids[name], (cursor || {})[name]);
    });
  }

  // Does any stream in `heads` stand past the `cursor` (true when there is no cursor yet)?
  function behind(heads, cursor) {
    if (!cursor) { return true; }
    return passed(heads || {}, cursor, Object.keys(heads || {}));
  }

  // The same ids for the same streams (a cursor against an update's `from`).
  function sameIds(a, b) {
    if (!a || !b) { return false; }
    var ka = Object.keys(a), kb = Object.keys(b);
    return ka.length === kb.length && ka.every(function (k) { return a[k] === b[k]; });
  }

  // The rows a list shows: the first (newest) row of each event id ([id, ...] rows).
  function uniqueRows(rows) {
    var seen = {};
    return (rows || []).filter(function (row) {
      if (seen[row[0]]) { return false; }
      seen[row[0]] = true;
      return true;
    });
  }

  // ---------------------------------------------------------------- one page's channel

  // `send(n, until)` asks for a pull (it sets the page's wake-up store); n counts the wake-ups.
  function Channel(send) {
    this.send = send;
    this.es = null;
    this.url = null;
    this.handlers = {};
    this.lastMsg = 0;
    this.n = 0;
    this.until = null;      // the newest ids the page was told of: the pull reads up to them
    this.inflight = false;  // one pull at a time (two answers at once would overwrite one store value)
    this.pending = false;   // a wake-up came while pulling: pull again when the answer is in
    this.sentAt = 0;
  }

  // Ask for a pull now, or as soon as the one under way answers (at once if that one looks lost).
  Channel.prototype.wake = function () {
    if (this.inflight && Date.now() - this.sentAt < STUCK_PULL_MS) { this.pending = true; return false; }
    this.inflight = true;
    this.pending = false;
    this.sentAt = Date.now();
    this.n += 1;
    this.send(this.n, this.until);
    return true;
  };

  // A pull answered: returns whether a wake-up came meanwhile (the caller pulls again).
  Channel.prototype.answered = function () {
    this.inflight = false;
    return this.pending;
  };

  // A pull under way or asked for.
  Channel.prototype.busy = function () { return this.inflight || this.pending; };

  // Opens (or reopens) the stream; `handlers` maps a message name to function (event).
  Channel.prototype.open = function (url, handlers) {
    var self = this;
    this.close();
    this.url = url;
    this.handlers = handlers;
    var es = new EventSource(url);
    this.es = es;
    this.lastMsg = Date.now();
    ["ready", "changed", "update", "ping", "down"].forEach(function (name) {
      es.addEventListener(name, function (e) {
        self.lastMsg = Date.now();
        if (self.handlers[name]) { self.handlers[name](e); }
      });
    });
    // The browser retries a dropped stream itself; one the server refused (readyState CLOSED) is reopened here.
    es.onerror = function () {
      if (es.readyState === 2 && self.es === es) {
        self.es = null;
        setTimeout(function () { if (!self.es && self.url) { self.open(self.url, self.handlers); } }, REOPEN_MS);
      }
    };
  };

  // Closes the stream for good (the page was left).
  Channel.prototype.close = function () {
    if (this.es) { this.es.close(); }
    this.es = null;
    this.url = null;
  };

  // Called every second or so: sends a lost pull again (its cursor has not moved, so whatever arrived meanwhile
  // is read then), and opens a new stream when the old one went silent (a proxy, a dead worker).
  Channel.prototype.check = function () {
    if (this.inflight && Date.now() - this.sentAt >= STUCK_PULL_MS) { this.inflight = false; this.wake(); }
    if (this.es && Date.now() - this.lastMsg > SILENT_MS) { this.open(this.url, this.handlers); }
  };

  return {
    after: after, messageIds: messageIds, mergeIds: mergeIds, passed: passed, behind: behind, sameIds: sameIds,
    uniqueRows: uniqueRows, Channel: Channel,
    STUCK_PULL_MS: STUCK_PULL_MS, SILENT_MS: SILENT_MS
  };
}));

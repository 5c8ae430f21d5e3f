// Unit tests of assets/live_channel.js: the pure helpers and the pull bookkeeping (a fake EventSource and clock).
const test = require("node:test");
const assert = require("node:assert/strict");
const lc = require("../../assets/live_channel.js");

test("stream ids compare as numbers, not strings", () => {
  assert.equal(lc.after("10-0", "9-5"), true);
  assert.equal(lc.after("9-10", "9-9"), true);
  assert.equal(lc.after("9-9", "9-10"), false);
  assert.equal(lc.after("5-0", "5-0"), false);
  assert.equal(lc.after("5", "4-9"), true);
  assert.equal(lc.after("1-0", undefined), true);  // a stream the cursor has not seen yet
  assert.equal(lc.after(undefined, "1-0"), false);
});

test("message ids: ready/changed bodies, update bodies, and unreadable ones", () => {
  assert.deepEqual(lc.messageIds('{"camera": "5-0"}'), {camera: "5-0"});
  assert.deepEqual(lc.messageIds('{"from": {"camera": "4-0"}, "to": {"camera": "5-0"}, "live": {}}'), {camera: "5-0"});
  assert.equal(lc.messageIds("not json"), null);
  assert.equal(lc.messageIds("1"), null);
  assert.equal(lc.messageIds('{"to": null}'), null);
});

test("until merging keeps the newest id of each stream and ignores junk", () => {
  const known = {camera: "5-0", fire: "3-0"};
  const merged = lc.mergeIds(known, {camera: "4-0", fire: "3-1", traffic: "9-0", bad: 7});
  assert.deepEqual(merged, {camera: "5-0", fire: "3-1", traffic: "9-0"});
  assert.deepEqual(known, {camera: "5-0", fire: "3-0"});  // not changed in place
  assert.deepEqual(lc.mergeIds(null, {camera: "1-0"}), {camera: "1-0"});
  assert.equal(lc.mergeIds(known, null), known);
});

test("a queue stream passed the cursor; traffic alone does not count", () => {
  const queued = ["camera", "fire", "complaint"];
  const cursor = {camera: "5-0", fire: "3-0", traffic: "1-0"};
  assert.equal(lc.passed({traffic: "99-0", camera: "5-0"}, cursor, queued), false);
  assert.equal(lc.passed({camera: "5-1"}, cursor, queued), true);
  assert.equal(lc.passed({complaint: "1-0"}, cursor, queued), true);  // a stream the cursor lacks
  assert.equal(lc.behind({traffic: "2-0"}, cursor), true);
  assert.equal(lc.behind({traffic: "1-0"}, cursor), false);
  assert.equal(lc.behind({}, null), true);
});

test("same ids: exactly the same streams at the same ids", () => {
  assert.equal(lc.sameIds({a: "1-0", b: "2-0"}, {b: "2-0", a: "1-0"}), true);
  assert.equal(lc.sameIds({a: "1-0"}, {a: "1-0", b: "2-0"}), false);
  assert.equal(lc.sameIds({a: "1-0"}, {a: "1-1"}), false);
  assert.equal(lc.sameIds(null, {}), false);
});

test("ticker rows: the first (newest) row of each event id, order kept", () => {
  const rows = [["b", 3], ["a", 2], ["b", 1], ["c", 1], ["a", 0]];
  assert.deepEqual(lc.uniqueRows(rows), [["b", 3], ["a", 2], ["c", 1]]);
  assert.deepEqual(lc.uniqueRows(null), []);
});

// ---------------------------------------------------------------- the channel, with a fake EventSource and clock

class FakeEventSource {
  constructor(url) {
    this.url = url;
    this.readyState = 1;
    this.listeners = {};
    FakeEventSource.opened.push(this);
  }
  addEventListener(name, fn) { (this.listeners[name] = this.listeners[name] || []).push(fn); }
  emit(name, data) { (this.listeners[name] || []).forEach((fn) => fn({data: data})); }
  close() { this.readyState = 2; this.closed = true; }
}
FakeEventSource.opened = [];

function withFakes(fn) {
  const realNow = Date.now;
  let clock = 1_000_000;
  globalThis.EventSource = FakeEventSource;
  FakeEventSource.opened = [];
  Date.now = () => clock;
  try {
    fn((ms) => { clock += ms; });
  } finally {
    Date.now = realNow;
    delete globalThis.EventSource;
  }
}

test("one pull in flight: a wake-up meanwhile waits for the answer", () => withFakes(() => {
  const sent = [];
  const ch = new lc.Channel((n, until) => sent.push([n, until]));
  ch.until = {camera: "1-0"};
  assert.equal(ch.wake(), true);
  assert.equal(ch.wake(), false);
  assert.equal(ch.wake(), false);
  assert.deepEqual(sent, [[1, {camera: "1-0"}]]);
  assert.equal(ch.busy(), true);
  assert.equal(ch.answered(), true);  // the caller pulls again
  ch.wake();
  assert.equal(ch.answered(), false);
  assert.equal(ch.busy(), false);
  assert.deepEqual(sent.map((s) => s[0]), [1, 2]);
}));

test("a pull with no answer is sent again after the stuck time, not before", () => withFakes((advance) => {
  const sent = [];
  const ch = new lc.Channel((n) => sent.push(n));
  ch.wake();
  advance(lc.STUCK_PULL_MS - 1);
  ch.check();
  assert.deepEqual(sent, [1]);
  advance(1);
  ch.check();
  assert.deepEqual(sent, [1, 2]);
  assert.equal(ch.inflight, true);
  advance(lc.STUCK_PULL_MS);
  ch.wake();  // a wake-up after the stuck time does not wait for the lost answer either
  assert.deepEqual(sent, [1, 2, 3]);
}));

test("messages reach their handlers; silence reopens the stream; close stops it", () => withFakes((advance) => {
  const got = [];
  const ch = new lc.Channel(() => {});
  ch.open("/push?x=1", {ready: (e) => got.push(["ready", e.data]), changed: (e) => got.push(["changed", e.data])});
  const first = FakeEventSource.opened[0];
  assert.equal(first.url, "/push?x=1");
  first.emit("ready", '{"a": "1-0"}');
  first.emit("ping", "1");  // no handler: only keeps the stream alive
  first.emit("changed", '{"a": "2-0"}');
  assert.deepEqual(got, [["ready", '{"a": "1-0"}'], ["changed", '{"a": "2-0"}']]);
  advance(lc.SILENT_MS - 1000);
  first.emit("ping", "1");
  advance(lc.SILENT_MS);
  ch.check();
  assert.equal(FakeEventSource.opened.length, 1);  // a ping 11 s ago: still alive
  advance(1001);
  ch.check();
  assert.equal(FakeEventSource.opened.length, 2);
  assert.equal(first.closed, true);
  assert.equal(FakeEventSource.opened[1].url, "/push?x=1");
  FakeEventSource.opened[1].emit("ready", "{}");
  assert.equal(got.length, 3);
  ch.close();
  assert.equal(ch.es, null);
  advance(lc.SILENT_MS * 2);
  ch.check();
  assert.equal(FakeEventSource.opened.length, 2);  // a closed channel stays closed
}));

test("a stream the server closed is reopened after 2 s, unless the page closed it", (t) => withFakes(() => {
  t.mock.timers.enable({apis: ["setTimeout"]});
  const ch = new lc.Channel(() => {});
  ch.open("/push", {});
  const first = FakeEventSource.opened[0];
  first.readyState = 1;
  first.onerror();  // a dropped connection the browser retries itself: nothing to do
  assert.equal(FakeEventSource.opened.length, 1);
  first.readyState = 2;
  first.onerror();
  assert.equal(ch.es, null);
  t.mock.timers.tick(1999);
  assert.equal(FakeEventSource.opened.length, 1);
  t.mock.timers.tick(1);
  assert.equal(FakeEventSource.opened.length, 2);
  const second = FakeEventSource.opened[1];
  second.readyState = 2;
  second.onerror();
  ch.close();  // the page was left before the reopen was due
  t.mock.timers.tick(5000);
  assert.equal(FakeEventSource.opened.length, 2);
}));

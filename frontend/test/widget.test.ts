// The widget's rules without a browser: a callback request's phase from the
// thread's system lines, what the launcher counts, the status line and the
// offer, the draft store, and the widget's reaction to socket events (unread
// count, chime, draft moving to the new conversation) over a fake socket.
import assert from "node:assert/strict";
import { beforeEach, test } from "node:test";
import { FakeSocket, installBrowserFakes, tick } from "./fakes";

installBrowserFakes();

// Browser pieces the widget touches beyond the chat core: storage, WebAudio, fetch.
class MemoryStorage {
  data = new Map<string, string>();
  getItem(k: string): string | null {
    return this.data.has(k) ? this.data.get(k)! : null;
  }
  setItem(k: string, v: string): void {
    this.data.set(k, String(v));
  }
  removeItem(k: string): void {
    this.data.delete(k);
  }
}
let tones = 0;
class FakeAudioContext {
  state = "running";
  currentTime = 0;
  destination = {};
  resume() {
    return Promise.resolve();
  }
  createOscillator() {
    return { type: "", frequency: { value: 0 }, connect() {}, start: () => void (tones += 1), stop() {} };
  }
  createGain() {
    return { gain: { setValueAtTime() {}, exponentialRampToValueAtTime() {} }, connect() {} };
  }
}
const g = globalThis as any;
g.window.localStorage = new MemoryStorage();
g.window.sessionStorage = new MemoryStorage();
g.window.AudioContext = FakeAudioContext;

const { Thread } = await import("../src/shared/chat");
const { phaseOf, progress } = await import("../src/widget/callback");
const { DraftStore } = await import("../src/widget/draft");
const { asksRating, callbackPhase, canRequestCallback, closedHours, initialState, offer, status, unread } = await import("../src/widget/store/state");
const { Widget } = await import("../src/widget/widget");

type ChatMessage = import("../src/shared/chat").ChatMessage;
const AGENT = { role: "agent" as const, id: "ag_1", name: "Anna" };
const ME = { role: "customer" as const, id: "cu_1", name: "" };
const HUB = { role: "system" as const, id: "hub", name: "Hub" };

function entry(seq: number, kind: ChatMessage["kind"], author: ChatMessage["author"], client_id = `k${seq}`, own = false): ChatMessage {
  return { key: `s:${seq}`, conversation_id: "c_1", seq, client_id, kind, author, text: `m${seq}`, created_at: "", own };
}

function threadWith(...entries: ChatMessage[]) {
  const t = new Thread("c_1");
  for (const m of entries) {
    t.bySeq.set(m.seq!, m);
    t.lastSeq = Math.max(t.lastSeq, m.seq!);
  }
  return t;
}

beforeEach(() => {
  g.window.localStorage.data.clear();
  g.window.sessionStorage.data.clear();
});

// ---- callback phase ---------------------------------------------------------

test("each step key the hub writes maps to a phase; a no-answer on the last attempt is final", () => {
  assert.equal(phaseOf("requested"), "queued");
  assert.equal(phaseOf("claimed-0"), "calling");
  assert.equal(phaseOf("claimed-2"), "calling");
  assert.equal(phaseOf("no-answer-1", 3), "retrying");
  assert.equal(phaseOf("no-answer-3", 3), "failed");
  assert.equal(phaseOf("no-answer-3"), "retrying"); // attempts unknown: never guess "final"
  assert.equal(phaseOf("completed"), "completed");
  assert.equal(phaseOf("cancelled"), "cancelled");
  assert.equal(phaseOf("rescheduled"), null);
});

test("the request's phase is its latest line; other callbacks' and unknown lines are ignored", () => {
  const req = { id: "cb_A", phone: "+46701234567", window: "asap", maxAttempts: 2 };
  const lines = [
    entry(4, "system", HUB, "cb_A-claimed-0"),
    entry(2, "system", HUB, "cb_A-requested"),
    entry(5, "system", HUB, "cb_B-completed"),
    entry(6, "text", AGENT, "cb_A-completed"), // not a system line
    entry(7, "system", HUB, "cb_A-whatever"),
  ];
  assert.equal(progress(req, []), "queued");
  assert.equal(progress(req, lines), "calling");
  assert.equal(progress(req, [...lines, entry(8, "system", HUB, "cb_A-no-answer-1")]), "retrying");
  assert.equal(progress(req, [entry(9, "system", HUB, "cb_A-no-answer-2"), ...lines]), "failed");
  assert.equal(progress(req, [...lines, entry(9, "system", HUB, "cb_A-completed")]), "completed");
});

test("a new callback can be asked for before the first and after a final phase, never while one runs", () => {
  const s = initialState("en", null, threadWith(), 0, null);
  assert.equal(canRequestCallback(s), false, "not before config and session are known");
  s.ready = true;
  assert.equal(canRequestCallback(s), true);
  s.callback = { id: "cb_A", phone: "+1", window: "asap", maxAttempts: 3 };
  assert.equal(callbackPhase(s), "queued");
  assert.equal(canRequestCallback(s), false);
  s.thread = threadWith(entry(1, "system", HUB, "cb_A-requested"), entry(2, "system", HUB, "cb_A-claimed-0"));
  assert.equal(canRequestCallback(s), false);
  s.thread = threadWith(entry(1, "system", HUB, "cb_A-requested"), entry(3, "system", HUB, "cb_A-completed"));
  assert.equal(callbackPhase(s), "completed");
  assert.equal(canRequestCallback(s), true);
  s.fatal = "Chat is unavailable right now";
  assert.equal(canRequestCallback(s), false);
});

// ---- status, offer, unread --------------------------------------------------

test("the status line: error, reconnecting, connecting, then online or offline from availability", () => {
  const s = initialState("en", null, threadWith(), 0, null);
  assert.equal(status(s), "online");
  s.booting = true;
  assert.equal(status(s), "connecting");
  s.conn = "open";
  assert.equal(status(s), "online");
  assert.equal(offer(s), "chat");
  s.available = false;
  assert.equal(status(s), "offline");
  assert.equal(offer(s), "callback");
  s.conn = "reconnecting";
  assert.equal(status(s), "reconnecting");
  s.fatal = "x";
  assert.equal(status(s), "error");
});

test("the launcher counts agent replies after what was seen; never own messages, system lines or notes", () => {
  const t = threadWith(
    entry(1, "text", ME, "k1", true),
    entry(2, "text", AGENT),
    entry(3, "system", HUB),
    entry(4, "note", AGENT),
    entry(5, "text", AGENT),
    entry(6, "text", ME, "k6", true),
  );
  const s = initialState("en", null, t, 0, null);
  assert.equal(unread(s), 2);
  s.seenSeq = 2;
  assert.equal(unread(s), 1);
  s.seenSeq = 0;
  t.readSent = 5; // read in another tab: the receipt came back
  assert.equal(unread(s), 0);
});

// ---- drafts -----------------------------------------------------------------

test("drafts are per conversation, follow a new conversation's id and go when emptied", () => {
  const d = new DraftStore("flowhub.widget.wk.draft");
  d.set("", "Hello, I ordered");
  assert.equal(d.get(""), "Hello, I ordered");
  d.move("", "c_1");
  assert.equal(d.get(""), "");
  assert.equal(d.get("c_1"), "Hello, I ordered");
  d.set("c_2", "other");
  d.set("c_1", "");
  assert.equal(d.get("c_1"), "");
  assert.equal(d.get("c_2"), "other");
  d.set("c_2", "");
  assert.equal(g.window.sessionStorage.getItem("flowhub.widget.wk.draft"), null, "nothing left behind");
  d.set("c_3", "x".repeat(9_000));
  assert.equal(d.get("c_3"), "", "an oversized draft is not kept");
});

// ---- the widget over a fake socket -------------------------------------------

function fakeHub(): void {
  g.fetch = async (url: string) => {
    const body = url.endsWith("config.json")
      ? { apiUrl: "https://hub/api", wsUrl: "wss://hub/ws" }
      : url.includes("/widget/session")
        ? { token: "tok", customer_id: ME.id, tenant: "global", expires_at: Date.now() / 1000 + 3600 }
        : url.includes("/widget/availability")
          ? { agents_available: true }
          : null;
    return { ok: !!body, status: body ? 200 : 404, statusText: "", json: async () => body };
  };
}

function message(seq: number, author: { role: string; id: string; name: string }, kind = "text", client_id = `x${seq}`) {
  return { type: "message", conversation_id: "c_1", seq, prev_seq: seq - 1, client_id, kind, author, text: `m${seq}`, created_at: "" };
}

async function connected(widget: InstanceType<typeof Widget>): Promise<FakeSocket> {
  const before = FakeSocket.all.length;
  widget.open(false);
  for (let i = 0; i < 20 && FakeSocket.all.length === before; i++) await tick();
  const ws = FakeSocket.last;
  ws.open();
  const start = ws.actions("start")[0];
  ws.recv({ type: "conversation", request_id: start.request_id, agents_available: true, conversation: { id: "c_1", participants: [], last_seq: 0 } });
  ws.recv({ type: "sync", conversation_id: "c_1", since: 0, messages: [], complete: true });
  return ws;
}

test("an agent reply while closed rings once and counts; own messages and system lines do neither; opening clears", async () => {
  fakeHub();
  FakeSocket.all = [];
  const widget = new Widget({ scriptSrc: "https://hub/widget.js", widgetKey: "wk", lang: "en" });
  const ws = await connected(widget);
  assert.equal(widget.thread.id, "c_1");
  widget.close(false);
  tones = 0;

  ws.recv(message(1, AGENT));
  assert.equal(unread(widget.state), 1);
  const rang = tones;
  assert.ok(rang > 0, "a reply while closed plays the chime");
  ws.recv(message(2, ME)); // the customer's own message, e.g. from another tab
  ws.recv(message(3, HUB, "system", "cb_A-requested"));
  assert.equal(unread(widget.state), 1);
  assert.equal(tones, rang, "no chime for own messages or system lines");
  ws.recv(message(1, AGENT)); // the same reply again (resend, resync)
  assert.equal(tones, rang, "one reply rings once");
  ws.recv(message(4, AGENT));
  assert.equal(unread(widget.state), 2);
  assert.ok(tones > rang);

  widget.open(false);
  assert.equal(unread(widget.state), 0);
  const after = tones;
  ws.recv(message(5, AGENT));
  assert.equal(tones, after, "no chime while the widget is open");
  widget.close(false);
  assert.equal(unread(widget.state), 0, "a reply seen while open does not count after closing");
  widget.destroy();
});

test("a draft typed before the conversation exists moves to it and is cleared by sending", async () => {
  fakeHub();
  FakeSocket.all = [];
  const widget = new Widget({ scriptSrc: "https://hub/widget.js", widgetKey: "wk", lang: "en" });
  widget.typing("Where is my parcel?");
  assert.equal(widget.draft(), "Where is my parcel?");
  const ws = await connected(widget);
  assert.equal(widget.thread.id, "c_1");
  assert.equal(widget.draft(), "Where is my parcel?", "the draft followed the new conversation");
  widget.flushSave(); // what pagehide does before a reload
  assert.equal(new Widget({ scriptSrc: "https://hub/widget.js", widgetKey: "wk", lang: "en" }).draft(), "Where is my parcel?", "a reload gets it back");
  assert.ok(widget.send("Where is my parcel?"));
  assert.equal(ws.actions("send").length, 1);
  assert.equal(widget.draft(), "");
  widget.destroy();
});

// ---- the agent's day: context and identity, business hours, the rating ------------------

test("the session carries the page's context and the signed-in user's id and hash; a verified customer's open conversation is resumed", async () => {
  const sent: any[] = [];
  g.location = { protocol: "https:", href: "https://shop.example/orders/7#token=secret" };
  g.document.title = "Order 7";
  g.fetch = async (url: string, init: any) => {
    if (url.includes("/widget/session")) sent.push(JSON.parse(init.body));
    const body = url.endsWith("config.json")
      ? { apiUrl: "https://hub/api", wsUrl: "wss://hub/ws" }
      : url.includes("/widget/session")
        ? { token: "tok", customer_id: "cv_1", tenant: "global", expires_at: Date.now() / 1000 + 3600, verified: true, conversation_id: "c_9" }
        : { agents_available: true, open: true, next_open_at: null, hours: null };
    return { ok: true, status: 200, statusText: "", json: async () => body };
  };
  FakeSocket.all = [];
  const widget = new Widget({ scriptSrc: "https://hub/widget.js", widgetKey: "wk", lang: "en", email: "kim@example.com", userId: "user-42", userHash: "a".repeat(64) });
  widget.open(false);
  for (let i = 0; i < 20 && !FakeSocket.all.length; i++) await tick();
  const ws = FakeSocket.last;
  ws.open();
  assert.equal(sent[0].page_url, "https://shop.example/orders/7", "the fragment stays on the page");
  assert.equal(sent[0].page_title, "Order 7");
  assert.equal(sent[0].email, "kim@example.com");
  assert.deepEqual([sent[0].user_id, sent[0].user_hash], ["user-42", "a".repeat(64)]);
  assert.equal(widget.thread.id, "c_9", "another device's open conversation became this thread");
  assert.equal(ws.actions("start")[0].conversation_id, "c_9");
  widget.destroy();
  delete g.location;
});

test("a long page title is cut by characters, never inside an emoji (the hub refuses a lone surrogate)", async () => {
  const sent: any[] = [];
  g.location = { protocol: "https:", href: "https://shop.example/" };
  g.document.title = "x".repeat(199) + "\u{1F600}" + " and more";
  g.fetch = async (url: string, init: any) => {
    if (url.includes("/widget/session")) sent.push(JSON.parse(init.body));
    const body = url.endsWith("config.json")
      ? { apiUrl: "https://hub/api", wsUrl: "wss://hub/ws" }
      : url.includes("/widget/session")
        ? { token: "tok", customer_id: "cu_1", tenant: "global", expires_at: Date.now() / 1000 + 3600 }
        : { agents_available: true };
    return { ok: true, status: 200, statusText: "", json: async () => body };
  };
  FakeSocket.all = [];
  const widget = new Widget({ scriptSrc: "https://hub/widget.js", widgetKey: "wk", lang: "en" });
  widget.open(false);
  for (let i = 0; i < 20 && !sent.length; i++) await tick();
  assert.equal(sent[0].page_title, "x".repeat(199) + "\u{1F600}");
  assert.ok(!/[\ud800-\udbff]$/.test(sent[0].page_title), "no half of a surrogate pair at the end");
  widget.destroy();
  delete g.location;
  g.document.title = "";
});

test("an identity the hub refuses leaves a visitor session, not a broken widget", async () => {
  const sent: any[] = [];
  g.fetch = async (url: string, init: any) => {
    if (url.endsWith("config.json")) return { ok: true, status: 200, statusText: "", json: async () => ({ apiUrl: "https://hub/api", wsUrl: "wss://hub/ws" }) };
    if (url.includes("/widget/session")) {
      const b = JSON.parse(init.body);
      sent.push(b);
      if (b.user_id) return { ok: false, status: 401, statusText: "", json: async () => ({ code: "identity_rejected", message: "user_hash does not match user_id" }) };
      return { ok: true, status: 200, statusText: "", json: async () => ({ token: "tok", customer_id: "cu_1", tenant: "global", expires_at: Date.now() / 1000 + 3600 }) };
    }
    return { ok: true, status: 200, statusText: "", json: async () => ({ agents_available: true }) };
  };
  FakeSocket.all = [];
  const widget = new Widget({ scriptSrc: "https://hub/widget.js", widgetKey: "wk", lang: "en", userId: "user-42", userHash: "b".repeat(64) });
  widget.open(false);
  for (let i = 0; i < 20 && !FakeSocket.all.length; i++) await tick();
  assert.equal(sent.length, 2);
  assert.equal(sent[1].user_id, undefined, "asked again as a visitor");
  assert.equal(widget.state.fatal, null);
  widget.destroy();
});

test("outside business hours the callback is the offer; a closed conversation asks for a rating once", () => {
  const s = initialState("en", null, threadWith(), 0, null);
  s.ready = true;
  s.available = true;
  s.team = { open: true, nextOpenAt: null, hours: null };
  assert.equal(offer(s), "chat");
  assert.equal(closedHours(s), false);
  s.team = { open: false, nextOpenAt: "2026-06-23T07:00:00.000Z", hours: null };
  assert.equal(offer(s), "callback", "closed: a callback for the next opening");
  assert.equal(closedHours(s), true);
  assert.equal(asksRating(s), false);
  s.closed = true;
  assert.equal(asksRating(s), true);
  s.csat = { rating: 5, comment: null, at: "2026-06-23T07:00:00.000Z" };
  assert.equal(asksRating(s), false, "rated once");
});

test("a closed conversation's snapshot opens the rating; rating posts once and a reopen closes the prompt", async () => {
  fakeHub();
  const posted: any[] = [];
  const base = g.fetch;
  g.fetch = async (url: string, init: any) => {
    if (url.includes("/widget/rating")) {
      posted.push(JSON.parse(init.body));
      return { ok: true, status: 200, statusText: "", json: async () => ({ conversation_id: "c_1", csat: { rating: 4, comment: "ok", at: "2026-01-01T00:00:00.000Z" } }) };
    }
    return base(url, init);
  };
  FakeSocket.all = [];
  const widget = new Widget({ scriptSrc: "https://hub/widget.js", widgetKey: "wk", lang: "en" });
  const ws = await connected(widget);
  ws.recv({ type: "conversation", conversation: { id: "c_1", status: "closed", participants: [], last_seq: 3, csat: null } });
  assert.equal(asksRating(widget.state), true);
  await widget.rate(4, "ok");
  assert.deepEqual(posted, [{ conversation_id: "c_1", rating: 4, comment: "ok" }]);
  assert.equal(asksRating(widget.state), false);
  ws.recv({ type: "conversation", conversation: { id: "c_other", status: "closed", participants: [], last_seq: 1 } });
  assert.equal(widget.state.closed, true, "another conversation's snapshot changes nothing");
  ws.recv({ type: "conversation", conversation: { id: "c_1", status: "open", participants: [], last_seq: 4, csat: null } });
  assert.equal(widget.state.closed, false, "reopened: no prompt");
  widget.destroy();
});

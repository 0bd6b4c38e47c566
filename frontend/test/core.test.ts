import assert from "node:assert/strict";
import { afterEach, beforeEach, mock, test } from "node:test";
import { FakeSocket, installBrowserFakes, tick } from "./fakes";

installBrowserFakes();

const { ACK_TIMEOUT_MS, AUTO_RESEND_MAX, ChatClient, RECEIPT_INTERVAL_MS, TYPING_IDLE_MS, TYPING_SHOW_MS, TYPING_THROTTLE_MS } =
  await import("../src/shared/chat");
const { backoffDelay } = await import("../src/shared/socket");

const ME = { role: "customer" as const, id: "cu_1", name: "Kim" };
const AGENT = { role: "agent" as const, id: "ag_1", name: "Anna" };
const CONV = "c_1";

type Who = { role: "customer" | "agent"; id: string; name: string };

function msg(seq: number, prev: number, author: Who = AGENT, text = `m${seq}`, client_id = `cid-${author.id}-${seq}`) {
  return { type: "message", conversation_id: CONV, seq, prev_seq: prev, client_id, kind: "text", author, text, created_at: "2026-01-01T00:00:00Z" };
}

let client: InstanceType<typeof ChatClient>;
let visible = true;

/** Waits for the client's socket, opens it and (by default) answers the
 * resync every open sends for each tracked conversation. */
async function connect(answerSync = true): Promise<FakeSocket> {
  const before = FakeSocket.all.length;
  for (let i = 0; i < 5 && FakeSocket.all.length === before; i++) await tick();
  const ws = FakeSocket.last;
  ws.open();
  if (answerSync) {
    const t = client.threads.get(CONV)!;
    ws.recv({ type: "sync", conversation_id: CONV, since: t.lastSeq, messages: [], complete: true });
  }
  return ws;
}

beforeEach(() => {
  FakeSocket.all = [];
  visible = true;
  client = new ChatClient({
    me: () => ME,
    url: async () => "ws://hub/ws?session=x",
    isVisible: () => visible,
  });
  client.track(CONV);
  client.start();
});

afterEach(() => client.stop());

const texts = () => client.threads.get(CONV)!.messages().map((m) => m.text);

test("appends in order and drops duplicates by seq and client_id", async () => {
  const ws = await connect();
  ws.recv(msg(1, 0));
  ws.recv(msg(1, 0));
  ws.recv(msg(2, 1));
  ws.recv({ ...msg(2, 1), seq: 2 });
  assert.deepEqual(texts(), ["m1", "m2"]);
  assert.equal(client.threads.get(CONV)!.lastSeq, 2);
});

test("a gap asks for sync instead of appending out of order", async () => {
  const ws = await connect();
  ws.recv(msg(1, 0));
  ws.sent = [];
  ws.recv(msg(3, 2));
  assert.deepEqual(texts(), ["m1"]);
  // `anchor`: what we hold at `since`, so a server that went back in time can tell us.
  assert.deepEqual(ws.actions("sync"), [{ action: "sync", conversation_id: CONV, since: 1, anchor: "cid-ag_1-1" }]);
  ws.recv(msg(4, 3)); // still waiting for the sync: no second sync in flight
  assert.equal(ws.actions("sync").length, 1);
  ws.recv({ type: "sync", conversation_id: CONV, since: 1, messages: [msg(2, 1), msg(3, 2), msg(4, 3)], complete: true, conversation: null });
  assert.deepEqual(texts(), ["m1", "m2", "m3", "m4"]);
  assert.equal(client.threads.get(CONV)!.lastSeq, 4);
});

test("paged sync continues from next_since", async () => {
  const ws = await connect();
  ws.sent = [];
  client.requestSync(client.threads.get(CONV)!);
  ws.recv({ type: "sync", conversation_id: CONV, since: 0, messages: [msg(1, 0), msg(2, 1)], complete: false, next_since: 2 });
  assert.deepEqual(ws.actions("sync").slice(-1)[0], { action: "sync", conversation_id: CONV, since: 2, anchor: "cid-ag_1-2" });
  ws.recv({ type: "sync", conversation_id: CONV, since: 2, messages: [msg(3, 2)], complete: true });
  assert.deepEqual(texts(), ["m1", "m2", "m3"]);
});

function snap(last_seq: number) {
  return {
    id: CONV, status: "open", created_at: "2026-01-01T00:00:00Z", updated_at: "2026-01-01T00:00:00Z",
    customer: { id: ME.id, name: ME.name }, owner: null, participants: [], last_seq, preview: null,
  };
}

test("sync's through covers numbers that hold nothing for us: the next live message follows on", async () => {
  const ws = await connect();
  ws.recv(msg(1, 0));
  ws.recv(msg(4, 3)); // 2 and 3 missing: sync
  ws.recv({ type: "sync", conversation_id: CONV, since: 1, messages: [msg(4, 3)], through: 4, complete: true, conversation: snap(4) });
  assert.equal(client.threads.get(CONV)!.lastSeq, 4);
  ws.sent = [];
  ws.recv(msg(5, 4));
  assert.deepEqual(texts(), ["m1", "m4", "m5"]);
  assert.deepEqual(ws.actions("sync"), []);
});

test("behind the server after a sync (an entry still being written): asks again shortly", async () => {
  const ws = await connect();
  ws.recv(msg(1, 0));
  ws.sent = [];
  ws.recv({ type: "sync", conversation_id: CONV, since: 1, messages: [], through: 1, complete: true, conversation: snap(2) });
  assert.deepEqual(ws.actions("sync"), []);
  await new Promise((r) => setTimeout(r, 650));
  assert.deepEqual(ws.actions("sync"), [{ action: "sync", conversation_id: CONV, since: 1, anchor: "cid-ag_1-1" }]);
  ws.recv({ type: "sync", conversation_id: CONV, since: 1, messages: [msg(2, 1)], through: 2, complete: true, conversation: snap(2) });
  assert.deepEqual(texts(), ["m1", "m2"]);
});

test("a server that went back in time: the thread is rebuilt and our lost message is resent", async () => {
  const ws = await connect();
  const t = client.threads.get(CONV)!;
  ws.recv(msg(1, 0));
  const mine = client.send(t, "lost in the restore");
  ws.recv({ type: "ack", action: "send", conversation_id: CONV, client_id: mine.client_id, seq: 2, status: "sent" });
  ws.recv(msg(3, 2));
  assert.equal(t.lastSeq, 3);
  ws.sent = [];
  // After a restore the server numbers another entry 2: our view is stale.
  ws.recv(msg(2, 1, AGENT, "after the restore", "other-2"));
  const [ask] = ws.actions("sync");
  assert.deepEqual(ask, { action: "sync", conversation_id: CONV, since: 3, anchor: "cid-ag_1-3" });
  ws.sent = [];
  ws.recv({
    type: "sync", conversation_id: CONV, since: 0, reset: true, through: 2, complete: true, conversation: snap(2),
    messages: [msg(1, 0), msg(2, 1, AGENT, "after the restore", "other-2")],
  });
  assert.deepEqual(texts(), ["m1", "after the restore", "lost in the restore"]);
  assert.equal(t.lastSeq, 2);
  const [resent] = ws.actions("send");
  assert.equal(resent.client_id, mine.client_id); // same client id: never stored twice
  ws.recv({ type: "ack", action: "send", conversation_id: CONV, client_id: mine.client_id, seq: 3, status: "sent" });
  assert.deepEqual(texts(), ["m1", "after the restore", "lost in the restore"]);
  assert.equal(t.lastSeq, 3);
});

test("a reset also forgets what was read here without a receipt: those numbers are gone", async () => {
  const ws = await connect();
  const t = client.threads.get(CONV)!;
  for (const n of [1, 2, 3]) ws.recv(msg(n, n - 1));
  t.readLocal = 3; // an agent only reading the chat read it all
  ws.recv(msg(2, 1, AGENT, "after the restore", "other-2"));
  ws.recv({
    type: "sync", conversation_id: CONV, since: 0, reset: true, through: 2, complete: true, conversation: snap(2),
    messages: [msg(1, 0), msg(2, 1, AGENT, "after the restore", "other-2")],
  });
  assert.equal(t.lastSeq, 2);
  assert.equal(t.readLocal, 0); // the new entry 2 (and 3, when it comes) is unread again
});

test("a snapshot behind our last number asks for sync", async () => {
  const ws = await connect();
  ws.recv(msg(1, 0));
  ws.recv(msg(2, 1));
  ws.sent = [];
  ws.recv({ type: "conversation", conversation: snap(1) });
  assert.deepEqual(ws.actions("sync"), [{ action: "sync", conversation_id: CONV, since: 2, anchor: "cid-ag_1-2" }]);
});

test("a message refused as rate_limited goes out again after retry_after, same client_id", async () => {
  const ws = await connect();
  const t = client.threads.get(CONV)!;
  const m = client.send(t, "slow down");
  ws.recv({ type: "error", code: "rate_limited", message: "too many", client_id: m.client_id, retry_after: 1 });
  assert.equal(client.stateOf(m, t), "retry");
  await new Promise((r) => setTimeout(r, 600));
  assert.equal(ws.actions("send").length, 1); // not before the hub allows
  await new Promise((r) => setTimeout(r, 2_000));
  const sends = ws.actions("send");
  assert.equal(sends.length, 2);
  assert.equal(sends[1].client_id, m.client_id);
});

test("own message walks sending → sent → delivered → read", async () => {
  const ws = await connect();
  const t = client.threads.get(CONV)!;
  const m = client.send(t, "hello");
  assert.equal(client.stateOf(m, t), "sending");
  const frame = ws.actions("send")[0];
  assert.equal(frame.text, "hello");
  assert.equal(frame.client_id, m.client_id);
  ws.recv({ type: "ack", action: "send", conversation_id: CONV, client_id: m.client_id, seq: 1, status: "sent" });
  assert.equal(client.stateOf(m, t), "sent");
  assert.equal(t.lastSeq, 1);
  ws.recv({ type: "delivered", conversation_id: CONV, by: AGENT, seq: 1 });
  assert.equal(client.stateOf(m, t), "delivered");
  ws.recv({ type: "read", conversation_id: CONV, by: AGENT, seq: 1 });
  assert.equal(client.stateOf(m, t), "read");
});

test("socket loss → retry, resent with the same client_id on reconnect; sent-again shows once", async () => {
  const ws = await connect();
  const t = client.threads.get(CONV)!;
  const m = client.send(t, "are you there?");
  const firstId = ws.actions("send")[0].client_id;
  ws.drop();
  assert.equal(client.stateOf(m, t), "retry");
  client.socket.reconnectNow();
  const ws2 = await connect(false);
  assert.deepEqual(ws2.actions("sync"), [{ action: "sync", conversation_id: CONV, since: 0 }]);
  assert.equal(ws2.actions("send")[0].client_id, firstId);
  ws2.recv({ type: "ack", action: "send", conversation_id: CONV, client_id: firstId, seq: 1, status: "sent-again" });
  assert.equal(client.stateOf(m, t), "sent-again");
  // The resync brings the same entry back: still one message.
  ws2.recv({ type: "sync", conversation_id: CONV, since: 0, messages: [msg(1, 0, ME, "are you there?", firstId)], complete: true });
  assert.deepEqual(texts(), ["are you there?"]);
});

test("an echo of our own message from another tab settles the outbox entry", async () => {
  const ws = await connect();
  const t = client.threads.get(CONV)!;
  const m = client.send(t, "from tab A");
  ws.recv(msg(1, 0, ME, "from tab A", m.client_id));
  assert.equal(t.outbox.length, 0);
  ws.recv({ type: "ack", action: "send", conversation_id: CONV, client_id: m.client_id, seq: 1, status: "sent" });
  assert.deepEqual(texts(), ["from tab A"]);
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("off screen, one cumulative delivered a second later covers a burst; read follows once on screen", async () => {
  const ws = await connect();
  visible = false;
  ws.recv(msg(1, 0));
  ws.recv(msg(2, 1));
  assert.equal(ws.actions("delivered").length, 0); // it waits: a read may take its place
  await sleep(RECEIPT_INTERVAL_MS + 100);
  assert.deepEqual(ws.actions("delivered"), [{ action: "delivered", conversation_id: CONV, seq: 2 }]);
  assert.equal(ws.actions("read").length, 0);
  visible = true;
  client.markRead(client.threads.get(CONV)!);
  assert.deepEqual(ws.actions("read"), [{ action: "read", conversation_id: CONV, seq: 2 }]);
  client.markRead(client.threads.get(CONV)!);
  assert.equal(ws.actions("read").length, 1);
});

test("on screen, a message is answered by read alone (it implies delivered), at most one a second", async () => {
  const ws = await connect();
  ws.recv(msg(1, 0));
  assert.deepEqual(ws.actions("read"), [{ action: "read", conversation_id: CONV, seq: 1 }]);
  ws.recv(msg(2, 1));
  ws.recv(msg(3, 2));
  assert.equal(ws.actions("read").length, 1); // within the second: one later read covers both
  await sleep(RECEIPT_INTERVAL_MS + 100);
  assert.deepEqual(ws.actions("read")[1], { action: "read", conversation_id: CONV, seq: 3 });
  assert.equal(ws.actions("read").length, 2);
  assert.equal(ws.actions("delivered").length, 0);
});

test("our own message needs no receipt of ours", async () => {
  const ws = await connect();
  const t = client.threads.get(CONV)!;
  const m = client.send(t, "hello");
  ws.recv({ type: "ack", action: "send", conversation_id: CONV, client_id: m.client_id, seq: 1, status: "sent" });
  await sleep(RECEIPT_INTERVAL_MS + 100);
  assert.equal(ws.actions("read").length + ws.actions("delivered").length, 0);
});

test("a read event alone marks our message delivered and read", async () => {
  const ws = await connect();
  const t = client.threads.get(CONV)!;
  const m = client.send(t, "hello");
  ws.recv({ type: "ack", action: "send", conversation_id: CONV, client_id: m.client_id, seq: 1, status: "sent" });
  ws.recv({ type: "read", conversation_id: CONV, by: AGENT, seq: 1 });
  assert.equal(client.stateOf(m, t), "read");
  assert.equal(t.otherDelivered, 1);
});

test("typing from the other side shows and clears on stop; our own is throttled", async () => {
  const ws = await connect();
  const t = client.threads.get(CONV)!;
  ws.recv({ type: "typing", conversation_id: CONV, by: AGENT, state: "start" });
  assert.equal(t.typers().length, 1);
  ws.recv({ type: "typing", conversation_id: CONV, by: AGENT, state: "stop" });
  assert.equal(t.typers().length, 0);
  client.userTyping(t);
  client.userTyping(t);
  client.userTyping(t);
  assert.equal(ws.actions("typing").filter((f) => f.state === "start").length, 1);
  client.stopTyping(t);
  assert.equal(ws.actions("typing").filter((f) => f.state === "stop").length, 1);
  client.stopTyping(t);
  assert.equal(ws.actions("typing").filter((f) => f.state === "stop").length, 1, "no second stop when none is on");
});

test("sending ends our typing without a stop frame; the next keystroke starts it again at once", async () => {
  const ws = await connect();
  const t = client.threads.get(CONV)!;
  client.userTyping(t);
  client.send(t, "done");
  assert.deepEqual(
    ws.sent.map((f: any) => (f.action === "typing" ? `typing ${f.state}` : f.action)).filter((a: string) => a.startsWith("typing") || a === "send"),
    ["typing start", "send"],
    "the hub takes the send as the stop",
  );
  client.userTyping(t);
  assert.equal(ws.actions("typing").filter((f) => f.state === "start").length, 2, "not throttled by the typing before the send");
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(ws.actions("typing").filter((f) => f.state === "stop").length, 0);
});

test("a long spell repeats its start every TYPING_THROTTLE_MS, and the reader shows it across the widest gap", async () => {
  const ws = await connect();
  const t = client.threads.get(CONV)!;
  mock.timers.enable({ apis: ["setTimeout", "Date"] });
  try {
    // 25 s of typing, a key every 3.9 s (just under the idle stop): the opening start, then a
    // repeat with the first key 10 s or more after the last start.
    const keysAt: number[] = [];
    for (let at = 0; at <= 25_000; at += 3_900) keysAt.push(at);
    let clock = 0;
    const startsAt: number[] = [];
    for (const at of keysAt) {
      mock.timers.tick(at - clock);
      clock = at;
      const before = ws.actions("typing").length;
      client.userTyping(t);
      if (ws.actions("typing").length > before) startsAt.push(at);
    }
    assert.deepEqual(startsAt, [0, 11_700, 23_400], "a start at most every 10 s, with the next key");
    const starts = ws.actions("typing").filter((f) => f.state === "start");
    assert.equal(starts[0].first, true);
    assert.ok(starts.slice(1).every((f) => !("first" in f)), "only the opening start says first");
    assert.equal(ws.actions("typing").filter((f) => f.state === "stop").length, 0, "no stop while keys come");
    // The widest gap between two starts of a spell is under TYPING_THROTTLE_MS + TYPING_IDLE_MS:
    // the reader still shows the first start when the next one arrives.
    assert.ok(TYPING_SHOW_MS > TYPING_THROTTLE_MS + TYPING_IDLE_MS);
    ws.recv({ type: "typing", conversation_id: CONV, by: AGENT, state: "start" });
    mock.timers.tick(TYPING_THROTTLE_MS + TYPING_IDLE_MS - 1);
    assert.equal(t.typers().length, 1, "still shown when the next repeat can arrive at the latest");
    mock.timers.tick(TYPING_SHOW_MS - (TYPING_THROTTLE_MS + TYPING_IDLE_MS) + 1);
    assert.equal(t.typers().length, 0, "gone once no repeat came (the typist vanished)");
    // The keys stopped meanwhile: one stop went, TYPING_IDLE_MS after the last.
    assert.equal(ws.actions("typing").filter((f) => f.state === "stop").length, 1);
  } finally {
    mock.timers.reset();
  }
});

test("a note sent while a public reply was being typed still stops the public typing", async () => {
  const ws = await connect();
  const t = client.threads.get(CONV)!;
  client.userTyping(t); // public: the customer sees it
  client.send(t, "internal: check the order", "note");
  const typing = ws.actions("typing").map((f) => `${f.state}${f.note ? " note" : ""}`);
  assert.deepEqual(typing, ["start", "stop"], "the customer never hears the note, so they hear the stop");
  client.userTyping(t, true);
  client.send(t, "internal: done", "note");
  assert.deepEqual(ws.actions("typing").map((f) => `${f.state}${f.note ? " note" : ""}`), ["start", "stop", "start note"]);
});

test("a permanent error marks the message failed, internal marks it for retry", async () => {
  const ws = await connect();
  const t = client.threads.get(CONV)!;
  const a = client.send(t, "x");
  const b = client.send(t, "y");
  ws.recv({ type: "error", code: "client_id_reused", message: "nope", action: "send", client_id: a.client_id });
  ws.recv({ type: "error", code: "internal", message: "oops", action: "send", client_id: b.client_id });
  assert.equal(client.stateOf(a, t), "failed");
  assert.equal(client.stateOf(b, t), "retry");
});

test("an unacknowledged message on a live socket is resent by itself, with backoff, until acked", async () => {
  const ws = await connect();
  const t = client.threads.get(CONV)!;
  mock.timers.enable({ apis: ["setTimeout"] });
  try {
    const m = client.send(t, "still there?");
    const sends = () => ws.actions("send").filter((f) => f.client_id === m.client_id).length;
    assert.equal(sends(), 1);
    mock.timers.tick(ACK_TIMEOUT_MS);
    assert.equal(client.stateOf(m, t), "retry");
    mock.timers.tick(2_000);
    assert.equal(sends(), 2, "resent after 2 s with the same client_id");
    assert.equal(client.stateOf(m, t), "sending");
    mock.timers.tick(ACK_TIMEOUT_MS);
    mock.timers.tick(4_000);
    assert.equal(sends(), 3, "then after 4 s more");
    ws.recv({ type: "ack", action: "send", conversation_id: CONV, client_id: m.client_id, seq: 1, status: "sent-again", created_at: "2026-01-01T00:00:00Z" });
    assert.equal(client.stateOf(m, t), "sent-again");
    mock.timers.tick(120_000);
    assert.equal(sends(), 3, "nothing more once acknowledged");
  } finally {
    mock.timers.reset();
  }
});

test("an internal error is retried automatically, at most AUTO_RESEND_MAX times", async () => {
  const ws = await connect();
  const t = client.threads.get(CONV)!;
  mock.timers.enable({ apis: ["setTimeout"] });
  try {
    const m = client.send(t, "x");
    const sends = () => ws.actions("send").filter((f) => f.client_id === m.client_id).length;
    for (let i = 0; i < AUTO_RESEND_MAX + 2; i++) {
      ws.recv({ type: "error", code: "internal", message: "oops", action: "send", client_id: m.client_id });
      mock.timers.tick(30_000);
    }
    assert.equal(sends(), 1 + AUTO_RESEND_MAX);
    assert.equal(client.stateOf(m, t), "retry", "the manual retry stays available");
  } finally {
    mock.timers.reset();
  }
});

test("backoff stays between 0.5 s and 15 s and grows", () => {
  for (let i = 0; i < 30; i++) {
    const d = backoffDelay(i);
    assert.ok(d >= 500 && d <= 15_000, `attempt ${i}: ${d}`);
  }
  assert.ok(backoffDelay(10) >= 7_500);
});

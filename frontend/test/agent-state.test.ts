// The dashboard store's rules: what counts as unread, what the tab title
// counts, which thread `j` moves to, which events notify (and which never do).
import assert from "node:assert/strict";
import { test } from "node:test";
import { Thread, type ChatMessage } from "../src/shared/chat";
import type { ConversationSnapshot, MessageEvent, ServerEvent } from "../src/shared/types";
import { alertFor } from "../src/agent/notify/rules";
import { attention, heardPresence, initialState, nextUnread, settlePresence, titleFor, unread, visibleConvs, type AgentState } from "../src/agent/store/state";
import { isTyping, shortcutFor } from "../src/agent/keyboard";

const ME = { agent_id: "a1", name: "Demo Agent", tenant: "global", presence: { status: "available" as const, reachable: true } };
const CUSTOMER = { role: "customer" as const, id: "cu1", name: "Kim" };
const COLLEAGUE = { role: "agent" as const, id: "a2", name: "Demo Agent 2" };

function conv(id: string, over: Partial<ConversationSnapshot> = {}): ConversationSnapshot {
  return {
    id,
    status: "open",
    created_at: "2026-01-01T10:00:00Z",
    updated_at: "2026-01-01T10:00:00Z",
    customer: { id: `cu-${id}`, name: "Kim" },
    owner: null,
    participants: [],
    last_seq: 1,
    preview: { text: "hi", author_role: "customer", at: "2026-01-01T10:00:00Z" },
    ...over,
  };
}

function msg(seq: number, author: ChatMessage["author"], kind: ChatMessage["kind"] = "text", own = false): ChatMessage {
  return { key: `s:${seq}`, conversation_id: "c", seq, client_id: `k${seq}`, kind, author, text: `m${seq}`, created_at: "", own };
}

function state(): AgentState {
  const s = initialState(ME, new Map(), false, "granted");
  s.agents.set(COLLEAGUE.id, COLLEAGUE.name);
  return s;
}

/** A followed thread with these entries, after its first sync. */
function follow(s: AgentState, c: ConversationSnapshot, entries: ChatMessage[], readSent = 0): Thread {
  s.convs.set(c.id, c);
  const t = new Thread(c.id);
  for (const m of entries) t.bySeq.set(m.seq!, { ...m, conversation_id: c.id });
  t.lastSeq = entries.length ? entries[entries.length - 1].seq! : 0;
  t.readSent = readSent;
  s.threads.set(c.id, t);
  s.loaded.add(c.id);
  return t;
}

test("unread counts only what the customer wrote: never my messages, system lines or notes", () => {
  const s = state();
  const c = conv("c1", { owner: { id: "a1", name: "Demo Agent" } });
  follow(s, c, [
    msg(1, CUSTOMER),
    msg(2, { role: "system", id: "hub", name: "Hub" }, "system"),
    msg(3, { role: "agent", id: "a1", name: "Demo Agent" }, "text", true),
    msg(4, COLLEAGUE, "note"),
    msg(5, CUSTOMER),
  ]);
  assert.equal(unread(s, c), 2);
  s.threads.get("c1")!.readSent = 4;
  assert.equal(unread(s, c), 1);
  // A conversation the dashboard does not follow shows no guess.
  assert.equal(unread(s, conv("other", { last_seq: 9 })), 0);
});

test("the tab title counts my chats and the lobby, not colleagues' chats; mentions and overdue alerts add", () => {
  const s = state();
  follow(s, conv("mine", { owner: { id: "a1", name: "Demo Agent" } }), [msg(1, CUSTOMER), msg(2, CUSTOMER)]);
  follow(s, conv("lobby"), [msg(1, CUSTOMER)]);
  follow(s, conv("theirs", { owner: { id: "a2", name: "Demo Agent 2" } }), [msg(1, CUSTOMER)]);
  follow(s, conv("closed", { owner: { id: "a1", name: "Demo Agent" }, status: "closed" }), [msg(1, CUSTOMER)]);
  assert.equal(attention(s), 3);
  s.mentions.add("theirs");
  s.work.applyCallback({ id: "cb1", status: "queued", phone: "+46701234567", priority: "high", overdue: true, due_at: "2026-01-01T10:00:00Z", attempts: 0, claimed_by: null });
  s.work.alerted.add("cb1");
  assert.equal(attention(s), 5);
  s.work.applyCallback({ id: "cb1", status: "claimed", phone: "+46701234567", priority: "high", overdue: true, due_at: "2026-01-01T10:00:00Z", attempts: 0, claimed_by: { id: "a1", name: "Demo Agent" }, updated_at: "2026-01-01T10:05:00Z" });
  assert.equal(attention(s), 4, "a claimed callback no longer waits");
  assert.equal(titleFor(4), "(4) Agent workspace · Flow Conversation Live Hub");
  assert.equal(titleFor(0), "Agent workspace · Flow Conversation Live Hub");
});

test("j moves to the next conversation with unread messages in list order, wrapping", () => {
  const s = state();
  follow(s, conv("new", { updated_at: "2026-01-01T10:03:00Z", preview: { text: "x", author_role: "customer", at: "2026-01-01T10:03:00Z" } }), [msg(1, CUSTOMER)]);
  follow(s, conv("mid", { updated_at: "2026-01-01T10:02:00Z", preview: { text: "x", author_role: "customer", at: "2026-01-01T10:02:00Z" } }), [msg(1, CUSTOMER)], 1);
  follow(s, conv("old", { updated_at: "2026-01-01T10:01:00Z", preview: { text: "x", author_role: "customer", at: "2026-01-01T10:01:00Z" } }), [msg(1, CUSTOMER)]);
  assert.deepEqual(visibleConvs(s).map((c) => c.id), ["new", "mid", "old"]);
  assert.equal(nextUnread(s), "new");
  s.selectedId = "new";
  assert.equal(nextUnread(s), "old", "skips the read one");
  s.selectedId = "old";
  assert.equal(nextUnread(s), "new", "wraps around");
  s.filter = "mine";
  assert.equal(nextUnread(s), null, "only what the list shows");
});

function messageEvent(over: Partial<MessageEvent>): ServerEvent {
  return { type: "message", conversation_id: "c1", seq: 5, prev_seq: 4, client_id: "x", kind: "text", author: CUSTOMER, text: "hello", created_at: "", ...over };
}

test("alerts: a customer reply in my chat, a colleague's mention, a new lobby chat, an overdue callback", () => {
  const s = state();
  s.convs.set("c1", conv("c1", { owner: { id: "a1", name: "Demo Agent" } }));
  s.convs.set("c2", conv("c2", { owner: { id: "a2", name: "Demo Agent 2" } }));
  assert.equal(alertFor(s, messageEvent({}), true)?.kind, "reply");
  assert.equal(alertFor(s, messageEvent({ conversation_id: "c2" }), true), null, "a colleague's chat is theirs to answer");
  // Notes never alert by themselves: the hub sends the mentioned agent a `mention` event.
  assert.equal(alertFor(s, messageEvent({ kind: "note", author: COLLEAGUE, text: "@Demo Agent look" }), true), null);
  const mention = (over: object = {}): ServerEvent => ({
    type: "mention",
    conversation_id: "c9",
    seq: 3,
    by: { id: COLLEAGUE.id, name: COLLEAGUE.name },
    text: "@Demo Agent look",
    created_at: "",
    ...over,
  });
  const m = alertFor(s, mention(), true);
  assert.equal(m?.kind, "mention");
  assert.equal(m?.title, "Demo Agent 2 mentioned you");
  assert.equal(m?.key, "note:c9:3");
  assert.equal(alertFor(s, mention({ by: { id: "a1", name: "Demo Agent" } }), true), null, "never my own note");
  s.selectedId = "c9";
  assert.equal(alertFor(s, mention(), true), null, "not for the thread I am looking at");
  s.selectedId = null;
  assert.equal(alertFor(s, messageEvent({ kind: "system", author: { role: "system", id: "hub", name: "Hub" } }), true), null);
  assert.equal(alertFor(s, messageEvent({ author: { role: "agent", id: "a1", name: "Demo Agent" } }), true), null, "my own message");

  const lobby: ServerEvent = { type: "conversation", conversation: conv("c3") };
  assert.equal(alertFor(s, lobby, true)?.kind, "new_chat");
  s.convs.set("c3", conv("c3"));
  assert.equal(alertFor(s, lobby, true), null, "already waiting in the lobby");
  assert.equal(alertFor(s, { type: "conversation", conversation: conv("c4", { preview: null, last_seq: 0 }) }, true), null, "opened, no message yet");

  const overdue: ServerEvent = {
    type: "callback_alert",
    callback: {
      id: "cb1", status: "queued", source: "widget", phone: "+46701234567", customer_name: "Ada", conversation_id: null,
      reason: null, window: "asap", priority: "high", overdue: true, not_before: null, due_at: "", due_in_seconds: -60, attempts: 0,
      max_attempts: 3, claimed_by: null, created_at: "", updated_at: "",
    },
  };
  assert.equal(alertFor(s, overdue, true)?.kind, "overdue");
});

test("no alert for the thread I am looking at while the tab is visible", () => {
  const s = state();
  s.convs.set("c1", conv("c1", { owner: { id: "a1", name: "Demo Agent" } }));
  s.selectedId = "c1";
  assert.equal(alertFor(s, messageEvent({}), true), null);
  assert.equal(alertFor(s, messageEvent({}), false)?.kind, "reply", "the tab is hidden");
  s.view = "tickets";
  assert.equal(alertFor(s, messageEvent({}), true)?.kind, "reply", "the thread is not on screen");
});

test("shortcuts never fire while typing, nor with a modifier held", () => {
  const el = (tagName: string, isContentEditable = false) => ({ tagName, isContentEditable }) as unknown as EventTarget;
  const key = (k: string, target: EventTarget | null = el("BODY"), mods: Partial<KeyboardEvent> = {}) => shortcutFor({ key: k, ctrlKey: false, metaKey: false, altKey: false, target, ...mods });
  assert.equal(key("j")?.id, "next-unread");
  assert.equal(key("?")?.id, "help");
  assert.equal(key("/")?.id, "search");
  assert.equal(key("j", el("TEXTAREA")), undefined);
  assert.equal(key("j", el("INPUT")), undefined);
  assert.equal(key("c", el("SELECT")), undefined);
  assert.equal(key("n", el("DIV", true)), undefined);
  assert.equal(key("c", el("BODY"), { ctrlKey: true }), undefined);
  assert.equal(key("x"), undefined);
  assert.equal(isTyping(null), false);
});

test("assigned to me alerts: routing or a colleague gives me a chat; my own take in another tab does not", () => {
  const s = state();
  const me = s.me.agent_id;
  const ev = (by: string, agent = me): ServerEvent => ({
    type: "assigned",
    conversation_id: "c9",
    agent: { id: agent, name: "Me" },
    by: { id: by, name: by === "routing" ? "Routing" : "Bo" },
    reason: by === "routing" ? "route" : "assign",
    at: "2027-01-01T00:00:00.000Z",
    conversation: conv("c9"),
  });
  assert.equal(alertFor(s, ev("routing"), true)?.kind, "assigned");
  assert.ok(/Bo assigned this chat to you/.test(alertFor(s, ev("u-bo"), true)?.body || ""));
  assert.equal(alertFor(s, ev(me), true), null, "my own take");
  assert.equal(alertFor(s, ev("routing", "u-bo"), true), null, "a colleague's chat");
});

test("our status: the highest presence version wins, whatever order two tabs' changes arrive in", () => {
  const s = state();
  // Another tab stored `away` (version 6) after ours stored `busy` (version 5); events arrive 6 first.
  assert.equal(heardPresence(s, { status: "away", reachable: true, version: 6 }), true);
  assert.equal(heardPresence(s, { status: "busy", reachable: true, version: 5 }), false);
  assert.deepEqual(s.me.presence, { status: "away", reachable: true });
  assert.deepEqual(s.presenceHub, { status: "away", reachable: true, version: 6 });
  // The same version again (two writers' read-backs can both see the later write) is kept.
  assert.equal(heardPresence(s, { status: "away", reachable: false, version: 6 }), true);
  assert.equal(s.me.presence.reachable, false);
});

test("our status: a change pending stays on screen until answered, then what the hub holds shows", () => {
  const s = state();
  s.presencePending = "busy";
  s.me = { ...s.me, presence: { status: "busy", reachable: true } };
  heardPresence(s, { status: "away", reachable: true, version: 3 }); // another tab's change
  assert.equal(s.me.presence.status, "busy");
  heardPresence(s, { status: "busy", reachable: true, version: 2 }); // ours, stored before it
  settlePresence(s); // our change answered
  assert.equal(s.presencePending, null);
  assert.deepEqual(s.me.presence, { status: "away", reachable: true });
});

test("our status: GET /me read before a newer event does not put the older status back", () => {
  const s = state();
  heardPresence(s, { status: "busy", reachable: true, version: 4 });
  assert.equal(heardPresence(s, { status: "available", reachable: true, version: 3 }), false);
  assert.equal(s.me.presence.status, "busy");
  // An answer without a version (a hub before versions) counts as 0: kept only at the start.
  const fresh = state();
  assert.equal(heardPresence(fresh, { status: "away", reachable: true }), true);
});

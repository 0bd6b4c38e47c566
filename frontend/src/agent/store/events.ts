// The socket's events mapped to store updates: one small handler per event
// type (as Chatwoot's widget maps ActionCable events to its store). The chat
// core (shared/chat.ts) has already applied messages, receipts and typing to
// its threads when these run; here the dashboard's own state follows.

import type { ConversationSnapshot, ServerEvent } from "../../shared/types";
import { isOlder } from "../../shared/chat";
import { formatTime, toMs } from "../../shared/util";
import type { Workspace } from "../workspace";
import { heardPresence, type AgentState } from "./state";

type EventOf<K extends ServerEvent["type"]> = Extract<ServerEvent, { type: K }>;
export type EventMap = { [K in ServerEvent["type"]]?: (ws: Workspace, ev: EventOf<K>) => void };

/** Adds or refreshes a conversation; a list reload and live events cross, so the newer one wins. */
export function upsertConversation(s: AgentState, c: ConversationSnapshot): void {
  if (!c || !c.id) return;
  if (c.participants?.some((p) => p.role === "agent" && p.id === s.me.agent_id)) s.joined.add(c.id);
  for (const p of c.participants || []) if (p.role === "agent") s.agents.set(p.id, p.name);
  if (c.owner) s.agents.set(c.owner.id, c.owner.name);
  const old = s.convs.get(c.id);
  if (old && isOlder(c, old)) return;
  if (old && old.preview && !c.preview) c = { ...c, preview: old.preview };
  if (old && old.preview && c.preview && toMs(old.preview.at) > toMs(c.preview.at)) c = { ...c, preview: old.preview };
  s.convs.set(c.id, c);
}

export const EVENTS: EventMap = {
  conversation(ws, ev) {
    const snap = ev.conversation;
    let stale = false;
    ws.store.update((s) => {
      const old = s.convs.get(snap.id);
      // A new entry whose preview did not come along: fetch the list again
      // (debounced) rather than show an out-of-date preview.
      stale =
        (snap.last_seq || 0) > 0 &&
        (!snap.preview || (!!old && (old.last_seq || 0) < snap.last_seq && old.preview?.at === snap.preview.at));
      upsertConversation(s, snap);
    });
    if (stale && !ws.client.threads.has(snap.id)) ws.reloadSoon();
    ws.follow([snap]);
    // Just took or joined the thread on screen: what was read without a receipt gets one now.
    const t = ws.client.threads.get(snap.id);
    if (t && snap.id === ws.state.selectedId) ws.client.markRead(t);
  },

  assigned(ws, ev) {
    // The conversation is someone's now (mine when `agent` is me): the list and the thread follow.
    ws.store.update((s) => upsertConversation(s, ev.conversation));
    ws.follow([ev.conversation]);
  },

  sync(ws, ev) {
    ws.store.update((s) => {
      s.loaded.add(ev.conversation_id);
      if (ev.conversation) upsertConversation(s, ev.conversation);
    });
  },

  message(ws, ev) {
    if (ev.kind === "system" || ev.kind === "note") return;
    ws.store.update((s) => {
      const c = s.convs.get(ev.conversation_id);
      if (!c) return;
      c.preview = { text: ev.text, author_role: ev.author.role, at: ev.created_at };
      c.updated_at = ev.created_at || c.updated_at;
      c.last_seq = Math.max(c.last_seq || 0, ev.seq);
    });
  },

  ack(ws, ev) {
    if (ev.action === "heartbeat") ws.heartbeatAcked();
    if (ev.action === "presence") ws.presenceAnswered();
    if ((ev.action === "send" || ev.action === "note") && ev.conversation_id) {
      const t = ws.client.threads.get(ev.conversation_id);
      const m = t && ev.client_id ? t.byClient.get(ev.client_id) : undefined;
      ws.store.update((s) => {
        const c = s.convs.get(ev.conversation_id!);
        if (!c || !m || m.kind !== "text") return;
        c.preview = { text: m.text, author_role: "agent", at: m.created_at };
        c.updated_at = m.created_at;
      });
    }
  },

  presence(ws, ev) {
    let ours = false;
    ws.store.update((s) => {
      if (ev.agent) s.agents.set(ev.agent.id, ev.agent.name);
      // How many agents can answer comes with the change; no `counters` event follows it.
      if (typeof ev.agents_available === "number" && s.work.counters) {
        s.work.counters = { ...s.work.counters, agents_available: ev.agents_available };
      }
      // Ours, and newer than what we hold (an older one arriving late changes nothing).
      if (ev.agent && ev.agent.id === s.me.agent_id) ours = heardPresence(s, ev);
    });
    if (ours) ws.presenceHeard(ev.status);
    ws.lanes.hubSoon();
  },

  error(ws, ev) {
    ws.onError(ev.code, ev.message, ev.action, ev.conversation_id);
  },

  callback(ws, ev) {
    ws.store.update((s) => {
      const cb = ev.callback;
      if (cb.claimed_by) s.agents.set(cb.claimed_by.id, cb.claimed_by.name);
      s.work.applyCallback(cb);
    });
    ws.lanes.hubSoon();
    const conv = ev.callback.conversation_id ? ws.state.convs.get(ev.callback.conversation_id) : undefined;
    ws.desk.customerChanged(conv?.customer?.id);
  },

  callback_alert(ws, ev) {
    const cb = ev.callback;
    let known = false;
    ws.store.update((s) => {
      if (cb.claimed_by) s.agents.set(cb.claimed_by.id, cb.claimed_by.name);
      s.work.applyCallback(cb);
      known = s.work.callbacks.has(cb.id);
      if (known) s.work.alerted.add(cb.id);
    });
    if (known) ws.toast(`Overdue callback: ${cb.customer_name || cb.phone} is waiting since ${formatTime(cb.due_at)}`, "warn");
    ws.lanes.hubSoon();
  },

  ticket(ws, ev) {
    ws.store.update((s) => {
      s.agents.set(ev.ticket.owner.id, ev.ticket.owner.name);
      s.work.applyTicket(ev.ticket);
    });
    ws.lanes.hubSoon();
    ws.desk.customerChanged(ev.ticket.customer?.id);
  },

  counters(ws, ev) {
    ws.store.update((s) => {
      s.work.counters = ev.counters;
      if (ev.team) s.team = ev.team;
    });
    ws.lanes.hubSoon();
  },

  csat(ws, ev) {
    ws.store.update((s) => {
      const c = s.convs.get(ev.conversation_id);
      if (c) s.convs.set(c.id, { ...c, csat: ev.csat });
      const t = ws.client.threads.get(ev.conversation_id);
      if (t?.snapshot) t.snapshot = { ...t.snapshot, csat: ev.csat };
    });
    ws.desk.customerChanged(ev.customer_id);
    ws.lanes.hubSoon();
  },

  mode(ws, ev) {
    ws.store.update((s) => {
      s.work.mode = ev.mode;
      s.work.modeBy = ev.by;
      s.work.modeAt = ev.at;
    });
    ws.lanes.hubSoon();
  },
};

export function applyEvent(ws: Workspace, ev: ServerEvent): void {
  const handler = EVENTS[ev.type] as ((ws: Workspace, ev: ServerEvent) => void) | undefined;
  handler?.(ws, ev);
}

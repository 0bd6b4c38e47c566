// The socket's events mapped to widget updates: one small handler per event
// type (as Chatwoot's widget maps ActionCable events to its store). The chat
// core (shared/chat.ts) has already applied messages, receipts and typing to
// the thread when these run; here the widget's own state follows. Live
// availability, queue position and the CSAT prompt arrive as new entries here.

import type { ServerEvent } from "../../shared/types";
import type { Widget } from "../widget";

type EventOf<K extends ServerEvent["type"]> = Extract<ServerEvent, { type: K }>;
export type EventMap = { [K in ServerEvent["type"]]?: (w: Widget, ev: EventOf<K>) => void };

export const EVENTS: EventMap = {
  conversation(w, ev) {
    if (typeof ev.agents_available === "boolean") w.store.set({ available: ev.agents_available, hubOffer: ev.offer ?? null });
    const conv = ev.conversation;
    if (conv && conv.id) {
      w.conversationOpened(conv.id, ev.request_id);
      // Out of the queue once someone owns it; its place when the hub says.
      if (conv.id === w.thread.id && (conv.owner || conv.queued === false)) w.store.set({ queuePlace: null });
      else if (conv.id === w.thread.id && conv.queue_place) w.store.set({ queuePlace: conv.queue_place });
    }
  },

  availability(w, ev) {
    // Told live, and only when it flips: someone can answer, or nobody can (or recovery mode).
    w.store.set({ available: ev.agents_available, hubOffer: ev.offer });
  },

  queue(w, ev) {
    if (ev.conversation_id === w.thread.id) w.store.set({ queuePlace: ev.place });
  },

  message(w) {
    w.ring();
  },

  sync(w) {
    w.ring();
  },

  error(w, ev) {
    if (ev.code === "session_expired") w.sessionExpired();
    else if (ev.code === "not_found" && (ev.action === "start" || ev.action === "sync")) w.conversationLost(ev.conversation_id);
  },
};

export function applyEvent(w: Widget, ev: ServerEvent): void {
  const handler = EVENTS[ev.type] as ((w: Widget, ev: ServerEvent) => void) | undefined;
  handler?.(w, ev);
}

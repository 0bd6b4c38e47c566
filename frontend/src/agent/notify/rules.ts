// Which live events deserve a notification (sound, desktop, tab title), and
// which do not. Pure functions over the store's state, so the rules are
// unit-tested (test/notify.test.ts); notifier.ts only carries them out.

import type { ConversationSnapshot, ServerEvent } from "../../shared/types";
import { inLobby, isMine, type AgentState } from "../store/state";

export type AlertKind = "new_chat" | "reply" | "overdue" | "mention" | "assigned";

export interface Alert {
  kind: AlertKind;
  /** Once per key: the same event arriving twice (resend, reconnect) notifies once. */
  key: string;
  title: string;
  body: string;
  conversationId?: string;
}

const WORD = /[\p{L}\p{N}_]/u;

/**
 * True when `text` mentions `me` as `@Name`. Names are matched case-insensitively
 * and the longest known name after an "@" wins, so "@Demo Agent 2" mentions
 * "Demo Agent 2", not "Demo Agent". An "@" inside a word (an e-mail address) is no mention.
 */
export function mentions(text: string, me: string, names: Iterable<string>): boolean {
  const mine = me.trim().toLowerCase();
  if (!mine) return false;
  const known = Array.from(new Set([...names, me].map((n) => n.trim().toLowerCase()).filter(Boolean))).sort((a, b) => b.length - a.length);
  const lower = text.toLowerCase();
  for (let i = lower.indexOf("@"); i >= 0; i = lower.indexOf("@", i + 1)) {
    if (i > 0 && (WORD.test(lower[i - 1]) || lower[i - 1] === ".")) continue;
    const rest = lower.slice(i + 1);
    const hit = known.find((n) => rest.startsWith(n) && !WORD.test(rest.charAt(n.length)));
    if (hit === mine) return true;
  }
  return false;
}

/** Whether I am looking at this conversation right now (then it never notifies). */
export function lookingAt(s: AgentState, conversationId: string | undefined, visible: boolean): boolean {
  return !!conversationId && visible && s.view === "lane" && s.selectedId === conversationId;
}

function customerName(c: ConversationSnapshot | undefined): string {
  return c?.customer?.name || "Visitor";
}

function clip(text: string, n = 140): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > n ? `${flat.slice(0, n - 1)}…` : flat;
}

/**
 * The alert an incoming event deserves, judged against the state *before* the
 * event is applied (a new chat is one that was not waiting in the lobby yet);
 * null when it deserves none.
 */
export function alertFor(s: AgentState, ev: ServerEvent, visible: boolean): Alert | null {
  let alert: Alert | null = null;
  switch (ev.type) {
    case "conversation": {
      const snap = ev.conversation;
      if (!snap?.id || !inLobby(snap) || snap.preview?.author_role !== "customer") break;
      const old = s.convs.get(snap.id);
      if (old && inLobby(old) && old.preview?.author_role === "customer") break; // already waiting
      alert = {
        kind: "new_chat",
        key: `new:${snap.id}:${snap.preview.at}`,
        title: `New chat: ${customerName(snap)}`,
        body: clip(snap.preview.text),
        conversationId: snap.id,
      };
      break;
    }
    case "message": {
      const c = s.convs.get(ev.conversation_id) || s.threads.get(ev.conversation_id)?.snapshot || undefined;
      if (ev.kind === "text" && ev.author?.role === "customer") {
        if (!c || !isMine(s, c)) break;
        alert = {
          kind: "reply",
          key: `msg:${ev.conversation_id}:${ev.seq}`,
          title: `${ev.author.name || customerName(c)} replied`,
          body: clip(ev.text),
          conversationId: ev.conversation_id,
        };
      } else if (ev.kind === "note" && ev.author?.role === "agent" && ev.author.id !== s.me.agent_id) {
        if (!mentions(ev.text, s.me.name, s.agents.values())) break;
        alert = {
          kind: "mention",
          key: `note:${ev.conversation_id}:${ev.seq}`,
          title: `${ev.author.name || "A colleague"} mentioned you`,
          body: clip(ev.text),
          conversationId: ev.conversation_id,
        };
      }
      break;
    }
    case "assigned": {
      // A chat became mine: routing, a colleague's assign, or my own take in another tab (no alert).
      if (ev.agent.id !== s.me.agent_id || ev.by.id === s.me.agent_id) break;
      const c = ev.conversation;
      alert = {
        kind: "assigned",
        key: `assigned:${ev.conversation_id}:${ev.at}`,
        title: `Assigned to you: ${customerName(c)}`,
        body: ev.reason === "assign" ? `${ev.by.name} assigned this chat to you` : clip(c.preview?.text || "A new chat"),
        conversationId: ev.conversation_id,
      };
      break;
    }
    case "callback_alert": {
      const cb = ev.callback;
      if (!cb?.id || cb.status !== "queued") break;
      alert = {
        kind: "overdue",
        key: `overdue:${cb.id}`,
        title: "Overdue callback",
        body: `${cb.customer_name || cb.phone} is waiting for a call`,
        conversationId: cb.conversation_id || undefined,
      };
      break;
    }
  }
  if (alert && alert.kind !== "overdue" && lookingAt(s, alert.conversationId, visible)) return null;
  return alert;
}

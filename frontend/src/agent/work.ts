// The work lanes the dashboard keeps next to the live lane: the callback queue,
// open tickets, the hub counters and mode. Pure state (no DOM), so the rules
// below (queue order, what leaves the queue, which update wins) are unit-tested.

import type { CallbackView, Counters, HubMode, TicketView } from "../shared/types";
import { toMs } from "../shared/util";

/** Callbacks still waiting for an outcome; the others leave the queue. */
export const OPEN_CALLBACK = new Set(["queued", "claimed"]);
/** Tickets that count as open work (solved ones leave the list). */
export const OPEN_TICKET = new Set(["open", "waiting_internal", "waiting_customer"]);

export const EMPTY_COUNTERS: Counters = {
  open_tickets: 0,
  waiting_internal: 0,
  callback_queued: 0,
  callback_overdue: 0,
  active_chats: 0,
  agents_available: 0,
};

/** Queue order: overdue first, then high priority, then by due time (soonest first). */
export function byDue(a: CallbackView, b: CallbackView): number {
  if (a.overdue !== b.overdue) return a.overdue ? -1 : 1;
  if (a.priority !== b.priority) return a.priority === "high" ? -1 : 1;
  const d = toMs(a.due_at) - toMs(b.due_at);
  return d || a.id.localeCompare(b.id);
}

/** True when `b` is not older than `a` (updated_at, ISO strings). */
function newerOrSame(a: { updated_at?: string } | undefined, b: { updated_at?: string }): boolean {
  if (!a || !a.updated_at || !b.updated_at) return true;
  return toMs(b.updated_at) >= toMs(a.updated_at);
}

export class WorkState {
  callbacks = new Map<string, CallbackView>();
  tickets = new Map<string, TicketView>();
  counters: Counters | null = null;
  mode: HubMode | null = null;
  modeBy: string | null = null;
  modeAt: string | null = null;
  /** Callback ids the escalation alerted about, so the queue can flash them. */
  alerted = new Set<string>();

  /** A full queue from GET /callbacks replaces what we had. */
  setQueue(list: CallbackView[]): void {
    this.callbacks.clear();
    for (const cb of list) if (OPEN_CALLBACK.has(cb.status)) this.callbacks.set(cb.id, cb);
  }

  /** A live `callback` / `callback_alert` event or a REST answer. Returns true when it changed the queue. */
  applyCallback(cb: CallbackView): boolean {
    if (!cb || !cb.id) return false;
    const old = this.callbacks.get(cb.id);
    if (!newerOrSame(old, cb)) return false;
    if (OPEN_CALLBACK.has(cb.status)) this.callbacks.set(cb.id, cb);
    else if (old) this.callbacks.delete(cb.id);
    else return false;
    return true;
  }

  queue(): CallbackView[] {
    return Array.from(this.callbacks.values()).sort(byDue);
  }

  forConversation(conversationId: string): CallbackView[] {
    return this.queue().filter((c) => c.conversation_id === conversationId);
  }

  setTickets(list: TicketView[]): void {
    this.tickets.clear();
    for (const t of list) this.tickets.set(t.id, t);
  }

  /** Solved tickets stay (a thread shows its ticket until the list is reloaded). */
  applyTicket(t: TicketView): boolean {
    if (!t || !t.id) return false;
    const old = this.tickets.get(t.id);
    if (!newerOrSame(old, t)) return false;
    this.tickets.set(t.id, t);
    return true;
  }

  openTickets(): TicketView[] {
    return Array.from(this.tickets.values())
      .filter((t) => OPEN_TICKET.has(t.status))
      .sort((a, b) => toMs(b.updated_at) - toMs(a.updated_at));
  }

  ticketFor(conversationId: string): TicketView | undefined {
    let best: TicketView | undefined;
    for (const t of this.tickets.values()) {
      if (t.conversation_id !== conversationId) continue;
      // An open ticket wins over a solved one; among equals the newest.
      if (!best || (OPEN_TICKET.has(t.status) && !OPEN_TICKET.has(best.status)) || toMs(t.updated_at) > toMs(best.updated_at)) best = t;
    }
    return best;
  }
}

/** "in 12 min", "3 min overdue", "due now". */
export function dueLabel(cb: CallbackView, now = Date.now()): string {
  const s = Math.round((toMs(cb.due_at) - now) / 1000);
  if (!isFinite(s)) return "";
  const abs = Math.abs(s);
  const span = abs < 60 ? "< 1 min" : abs < 3600 ? `${Math.round(abs / 60)} min` : abs < 86400 ? `${Math.round(abs / 3600)} h` : `${Math.round(abs / 86400)} d`;
  if (s < 0 || cb.overdue) return s < 0 ? `${span} overdue` : "overdue";
  if (s < 60) return "due now";
  // A window that has not opened yet: say when calling may start (the hub read the window in
  // the tenant's time zone; this shows it in the agent's).
  const from = cb.not_before ? toMs(cb.not_before) : NaN;
  if (isFinite(from) && from - now > 60_000) {
    const at = new Date(from).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    return `call from ${at} · due in ${span}`;
  }
  return `due in ${span}`;
}

export const WINDOW_LABEL: Record<string, string> = {
  asap: "As soon as possible",
  morning: "Morning",
  afternoon: "Afternoon",
  evening: "Evening",
};

export const TICKET_STATUS_LABEL: Record<string, string> = {
  open: "Open",
  waiting_internal: "Waiting internal",
  waiting_customer: "Waiting on customer",
  solved: "Solved",
};

export const LANE_LABEL: Record<string, string> = {
  live_chat: "Live chat",
  tickets: "Tickets",
  callbacks: "Callbacks",
  support_command: "Support command",
};

export const MODE_LABEL: Record<string, string> = {
  ready: "Ready",
  live: "Live",
  recovery: "Recovery",
};

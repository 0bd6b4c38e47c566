// What the widget knows, in one object, and the selectors its components read
// it through: the status line, the launcher's unread count, the offer (chat, or
// a callback when nobody can answer) and the callback request's phase. No DOM
// here: the rules are unit-tested (test/widget-state.test.ts).

import type { ChatMessage, Thread } from "../../shared/chat";
import type { ConnState } from "../../shared/socket";
import { FINAL_PHASES, progress, type CallbackPhase, type CallbackRequest } from "../callback";

export type Lang = "en" | "sv";

/** The status line's state (`data-state` on widget-status). */
export type Status = "connecting" | "reconnecting" | "online" | "offline" | "error";

export interface WidgetState {
  lang: Lang;
  /** The title the tenant set on the script tag (else the default copy). */
  title: string | null;
  open: boolean;
  conn: ConnState;
  /** Between asking for config/session and the socket's first state. */
  booting: boolean;
  /** config.json and the session are known (the callback offer needs them). */
  ready: boolean;
  /** The widget cannot work at all (unknown widget key): shown instead of the status. */
  fatal: string | null;
  /** Whether an agent can answer now; null until the hub said. */
  available: boolean | null;
  /** What the hub lets the widget offer a new visitor (mode and presence, told live when it flips). */
  hubOffer: Offer | null;
  /** The customer's place in the queue while they wait for an agent with a free place (1 = next). */
  queuePlace: number | null;
  /** The region a phone number without a country code is read in (the shop's `default_region`). */
  defaultRegion: string | null;
  /** The chat core's thread of this customer's conversation ("" until the hub opened it). */
  thread: Thread;
  /** The highest seq the customer has seen with the widget open. */
  seenSeq: number;
  /** The latest callback the customer asked for. */
  callback: CallbackRequest | null;
  /** Bumped to ask the composer to take focus / the launcher to take focus / the log to scroll down. */
  focusInput: number;
  focusLauncher: number;
  scrollDown: number;
}

export function initialState(lang: Lang, title: string | null, thread: Thread, seenSeq: number, callback: CallbackRequest | null): WidgetState {
  return {
    lang,
    title,
    open: false,
    conn: "idle",
    booting: false,
    ready: false,
    fatal: null,
    available: null,
    hubOffer: null,
    queuePlace: null,
    defaultRegion: null,
    thread,
    seenSeq,
    callback,
    focusInput: 0,
    focusLauncher: 0,
    scrollDown: 0,
  };
}

export function status(s: WidgetState): Status {
  if (s.fatal) return "error";
  if (s.conn === "reconnecting") return "reconnecting";
  if (s.conn === "connecting" || (s.conn === "idle" && s.booting)) return "connecting";
  return offer(s) === "callback" ? "offline" : "online";
}

/** An agent's (or a colleague's) written reply: what rings and counts. Never the customer's own, never a system line. */
export function isReply(m: ChatMessage): boolean {
  return !m.own && m.kind === "text" && m.author.role === "agent" && m.seq != null;
}

/** Replies the customer has not seen: after what they saw with the widget open, and after their last read receipt. */
export function unread(s: WidgetState): number {
  const seen = Math.max(s.seenSeq, s.thread.readSent);
  let n = 0;
  for (const m of s.thread.bySeq.values()) if (isReply(m) && m.seq! > seen) n++;
  return n;
}

/** The highest seq of a reply in the thread (0 without one). */
export function lastReplySeq(thread: Thread): number {
  let top = 0;
  for (const m of thread.bySeq.values()) if (isReply(m) && m.seq! > top) top = m.seq!;
  return top;
}

/**
 * What the widget offers besides the chat: a prominent callback offer when
 * nobody can answer, a quiet "prefer a phone call?" otherwise. Live
 * availability, business hours and "leave a message" decide here.
 */
export type Offer = "chat" | "callback";

export function offer(s: WidgetState): Offer {
  if (s.hubOffer) return s.hubOffer; // the hub's word: recovery mode offers callbacks even while someone is in
  return s.available === false ? "callback" : "chat";
}

/** The latest request's phase, or null when there is none. */
export function callbackPhase(s: WidgetState): CallbackPhase | null {
  return s.callback ? progress(s.callback, s.thread.bySeq.values()) : null;
}

/** Whether the customer may ask for a (new) callback now. */
export function canRequestCallback(s: WidgetState): boolean {
  const phase = callbackPhase(s);
  return s.ready && !s.fatal && (phase === null || FINAL_PHASES.has(phase));
}

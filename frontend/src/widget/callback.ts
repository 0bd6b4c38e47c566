// The customer's callback request and how far it got. The hub tells the
// customer's thread every step as a system line whose client_id is
// "<callback id>-<step>" (chalicelib/callbacks.py `_thread`): requested,
// claimed-<attempt>, no-answer-<attempt>, completed, cancelled. The widget
// reads its request's progress from those lines, so it follows the real state
// (also after a reload: the lines come back with the thread's sync) and offers
// a new request once the last one ended. The hub sends no callback event to
// customers; when it does, `progress` should read it instead of the lines.

import type { ChatMessage } from "../shared/chat";

/** What the widget keeps about the customer's latest request (in localStorage). */
export interface CallbackRequest {
  id: string;
  phone: string;
  window: string;
  /** Attempts before the hub gives up (from the request's answer); a no-answer on the last one is final. */
  maxAttempts?: number;
}

export type CallbackPhase = "queued" | "calling" | "retrying" | "completed" | "failed" | "cancelled";

/** Phases after which the customer may ask for another callback. */
export const FINAL_PHASES: ReadonlySet<CallbackPhase> = new Set(["completed", "failed", "cancelled"]);

/** The phase one step key stands for; null for a step this widget does not know. */
export function phaseOf(step: string, maxAttempts?: number): CallbackPhase | null {
  if (step === "requested") return "queued";
  if (step === "completed") return "completed";
  if (step === "cancelled") return "cancelled";
  if (/^claimed-\d+$/.test(step)) return "calling";
  const noAnswer = /^no-answer-(\d+)$/.exec(step);
  if (noAnswer) return maxAttempts && Number(noAnswer[1]) >= maxAttempts ? "failed" : "retrying";
  return null;
}

/** The request's phase from the thread's system lines (latest step wins); queued until one arrives. */
export function progress(req: CallbackRequest, messages: Iterable<ChatMessage>): CallbackPhase {
  const prefix = `${req.id}-`;
  let phase: CallbackPhase = "queued";
  let at = -1;
  for (const m of messages) {
    if (m.kind !== "system" || m.seq == null || m.seq < at || !m.client_id.startsWith(prefix)) continue;
    const p = phaseOf(m.client_id.slice(prefix.length), req.maxAttempts);
    if (p) {
      phase = p;
      at = m.seq;
    }
  }
  return phase;
}

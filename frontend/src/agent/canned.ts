// Canned replies in the composer, as pure functions (unit-tested in
// test/desk.test.ts): when the `/` picker is open, which replies it lists,
// and what inserting one does to the composer's text.

import type { CannedReplyView } from "../shared/types";

/** The `/word` being typed at the caret: where it starts and what follows the slash. */
export interface SlashQuery {
  start: number;
  end: number;
  query: string;
}

/**
 * The picker is open while the caret sits right after `/` plus letters, where
 * the slash begins the text or follows whitespace ("see /ret" yes, "and/or" no).
 */
export function slashQuery(text: string, caret: number): SlashQuery | null {
  const before = text.slice(0, caret);
  const m = /(^|\s)\/([\p{L}\p{N}_-]{0,32})$/u.exec(before);
  if (!m) return null;
  const start = caret - m[2].length - 1;
  return { start, end: caret, query: m[2].toLowerCase() };
}

/** Replies for a query: shortcuts starting with it first, then titles and texts containing it. */
export function filterReplies(replies: CannedReplyView[], query: string, limit = 8): CannedReplyView[] {
  const q = query.toLowerCase();
  const starts = replies.filter((r) => r.shortcut.startsWith(q));
  const rest = q
    ? replies.filter((r) => !r.shortcut.startsWith(q) && (r.title.toLowerCase().includes(q) || r.text.toLowerCase().includes(q)))
    : [];
  const byShortcut = (a: CannedReplyView, b: CannedReplyView) => a.shortcut.localeCompare(b.shortcut);
  return [...starts.sort(byShortcut), ...rest.sort(byShortcut)].slice(0, limit);
}

/** A customer the widget knows nothing about is "Visitor": the greeting says "there" instead. */
export function customerWord(name: string | null | undefined): string {
  const n = (name || "").trim();
  return !n || /^(visitor|customer|caller)$/i.test(n) ? "there" : n;
}

/** The reply's text with `{customer.name}` and `{agent.name}` filled in. */
export function fillPlaceholders(text: string, customer: string | null | undefined, agent: string): string {
  return text.split("{customer.name}").join(customerWord(customer)).split("{agent.name}").join(agent);
}

/** The composer's text with the `/word` replaced by the reply; and where the caret goes. */
export function insertReply(text: string, at: SlashQuery, filled: string): { text: string; caret: number } {
  const out = text.slice(0, at.start) + filled + text.slice(at.end);
  return { text: out, caret: at.start + filled.length };
}

// The composer's unsent text, per conversation, kept in sessionStorage so a
// reload (or a restored tab) gives it back, while another tab or a later visit
// starts empty. "" is the conversation that does not exist yet: its draft
// moves to the real id once the hub opened it. Sending clears the draft.

import { storageGet, storageSet } from "../shared/util";

type Drafts = Record<string, string>;

/** Drafts longer than this are not kept (sessionStorage is small and shared with the host page). */
const MAX_DRAFT = 8_000;

export class DraftStore {
  constructor(private key: string) {}

  private all(): Drafts {
    const d = storageGet<Drafts>("session", this.key);
    return d && typeof d === "object" ? d : {};
  }

  get(conversationId: string): string {
    const text = this.all()[conversationId];
    return typeof text === "string" ? text : "";
  }

  set(conversationId: string, text: string): void {
    const all = this.all();
    if (text && text.length <= MAX_DRAFT) all[conversationId] = text;
    else delete all[conversationId];
    storageSet("session", this.key, Object.keys(all).length ? all : null);
  }

  /** The conversation got its id (or was replaced): its draft follows it. */
  move(from: string, to: string): void {
    if (from === to) return;
    const text = this.get(from);
    this.set(from, "");
    if (text && !this.get(to)) this.set(to, text);
  }
}

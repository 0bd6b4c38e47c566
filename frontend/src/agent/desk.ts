// The agent's desk: canned replies, business hours, the server search and the
// customer panel (REST). Live updates (csat, mention, counters' team status)
// arrive through the event map (store/events.ts); components call these
// methods and render from the store.

import type {
  BusinessHoursView,
  CannedReplyView,
  CustomerPanel,
  Hours,
  SearchAnswer,
  SearchResult,
} from "../shared/types";
import type { Workspace } from "./workspace";

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Queries shorter than this wait for more typing (ids and phone numbers are longer anyway). */
export const MIN_QUERY = 2;
const SEARCH_DELAY_MS = 250;

/** The region of the agent's browser ("sv-SE" → "SE"): how a national phone number is read. */
export function browserRegion(language: string | undefined): string | undefined {
  const m = /^[a-z]{2,3}[-_]([A-Za-z]{2})\b/.exec(language || "");
  return m ? m[1].toUpperCase() : undefined;
}

export type CannedDraft = { title: string; shortcut: string; text: string };

export class Desk {
  private searchTimer: ReturnType<typeof setTimeout> | null = null;
  private searchSeq = 0;
  private ended = false;

  constructor(private ws: Workspace) {}

  destroy(): void {
    this.ended = true;
    if (this.searchTimer) clearTimeout(this.searchTimer);
  }

  // ---- canned replies ---------------------------------------------------------

  async loadCanned(): Promise<void> {
    try {
      const r = await this.ws.api<{ replies: CannedReplyView[] }>("/canned");
      this.ws.store.update((s) => {
        s.canned = r.replies || [];
        s.cannedLoad = "ready";
      });
    } catch (e) {
      this.ws.store.update((s) => {
        if (s.cannedLoad !== "ready") s.cannedLoad = "error";
        s.loadError = message(e);
      });
    }
  }

  /** Creates (no id) or changes a reply; true when the hub took it. */
  async saveCanned(id: string | null, draft: CannedDraft): Promise<boolean> {
    try {
      if (id) await this.ws.api(`/canned/${encodeURIComponent(id)}`, { method: "PATCH", body: draft });
      else await this.ws.api("/canned", { method: "POST", body: draft });
      await this.loadCanned();
      this.ws.toast(id ? `Saved /${draft.shortcut.replace(/^\//, "")}.` : `Added /${draft.shortcut.replace(/^\//, "")}.`, "info");
      return true;
    } catch (e) {
      this.ws.toast(`Couldn't save the reply: ${message(e)}`, "error");
      return false;
    }
  }

  async deleteCanned(reply: CannedReplyView): Promise<void> {
    try {
      await this.ws.api(`/canned/${encodeURIComponent(reply.id)}`, { method: "DELETE" });
      await this.loadCanned();
    } catch (e) {
      this.ws.toast(`Couldn't delete /${reply.shortcut}: ${message(e)}`, "error");
    }
  }

  // ---- business hours -----------------------------------------------------------

  async loadHours(): Promise<void> {
    try {
      const h = await this.ws.api<Hours>("/hours");
      this.ws.store.update((s) => {
        s.hours = h;
        s.hoursLoad = "ready";
        s.team = { open: h.open, next_open_at: h.next_open_at };
      });
    } catch (e) {
      this.ws.store.update((s) => {
        if (s.hoursLoad !== "ready") s.hoursLoad = "error";
        s.loadError = message(e);
      });
    }
  }

  async saveHours(hours: BusinessHoursView | null): Promise<boolean> {
    try {
      const h = hours
        ? await this.ws.api<Hours>("/hours", { method: "PUT", body: hours })
        : await this.ws.api<Hours>("/hours", { method: "DELETE" });
      this.ws.store.update((s) => {
        s.hours = h;
        s.hoursLoad = "ready";
        s.team = { open: h.open, next_open_at: h.next_open_at };
      });
      this.ws.toast(hours ? "Business hours saved." : "Business hours removed: open around the clock.", "info");
      this.ws.lanes.hubSoon();
      return true;
    } catch (e) {
      this.ws.toast(`Couldn't save the hours: ${message(e)}`, "error");
      return false;
    }
  }

  // ---- search ---------------------------------------------------------------------

  /** The search box changed: ask the hub after a short pause (stale answers are dropped). */
  setQuery(query: string): void {
    this.ws.store.update((s) => {
      s.search = { ...s.search, query };
    });
    if (this.searchTimer) clearTimeout(this.searchTimer);
    const q = query.trim();
    const seq = ++this.searchSeq;
    if (q.length < MIN_QUERY) {
      this.ws.store.update((s) => {
        s.search = { query, load: "idle", answer: null, error: "" };
      });
      return;
    }
    this.ws.store.update((s) => {
      s.search = { ...s.search, load: "loading" };
    });
    this.searchTimer = setTimeout(() => void this.run(q, seq), SEARCH_DELAY_MS);
  }

  private async run(q: string, seq: number): Promise<void> {
    const params = new URLSearchParams({ q });
    const region = browserRegion(navigator.language);
    if (region) params.set("region", region);
    try {
      const answer = await this.ws.api<SearchAnswer>(`/search?${params.toString()}`);
      if (this.ended || seq !== this.searchSeq) return;
      this.ws.store.update((s) => {
        s.search = { ...s.search, load: "ready", answer, error: "" };
      });
    } catch (e) {
      if (this.ended || seq !== this.searchSeq) return;
      this.ws.store.update((s) => {
        s.search = { ...s.search, load: "error", answer: null, error: message(e) };
      });
    }
  }

  clearSearch(): void {
    this.setQuery("");
  }

  /** Opens what a result points at: its thread, else the customer's newest thread, the ticket or the callback. */
  async openResult(r: SearchResult): Promise<void> {
    if (r.conversation_id) return this.ws.select(r.conversation_id);
    if (r.kind === "customer" && r.customer_id) {
      // The thread opens once the customer's panel is read. If the agent typed a new search
      // meanwhile, the thread still opens but leaves the keyboard where it is: taking the focus
      // away mid-word would send the rest of the search into the reply box.
      const query = this.ws.state.search.query;
      const panel = await this.loadCustomer(r.customer_id, true);
      const newest = panel?.conversations[0];
      if (newest) return this.ws.select(newest.id, this.ws.state.search.query === query);
      return this.ws.toast(`${r.title} has no conversation yet.`, "info");
    }
    if (r.kind === "ticket") return this.openTicket(r.id);
    if (r.kind === "callback") return this.openCallback(r.id);
  }

  openTicket(id: string): void {
    this.ws.store.set({ highlight: id });
    this.ws.showView("tickets");
    setTimeout(() => document.querySelector(`.tickets-page [data-testid="ticket-card"][data-ticket-id="${CSS.escape(id)}"]`)?.scrollIntoView({ block: "center" }), 0);
  }

  openCallback(id: string): void {
    this.ws.store.set({ highlight: id });
    this.ws.showView("lane");
    setTimeout(() => document.querySelector(`#motor [data-testid="callback-item"][data-callback-id="${CSS.escape(id)}"]`)?.scrollIntoView({ block: "center" }), 0);
  }

  // ---- customer panel -----------------------------------------------------------------

  /** The customer panel (GET /customers/{id}), kept per customer; `force` reads it again. */
  async loadCustomer(customerId: string, force = false): Promise<CustomerPanel | null> {
    const s = this.ws.state;
    if (!force && (s.customerLoad.get(customerId) === "loading" || s.customers.has(customerId))) {
      return s.customers.get(customerId) || null;
    }
    this.ws.store.update((st) => {
      st.customerLoad.set(customerId, "loading");
    });
    try {
      const panel = await this.ws.api<CustomerPanel>(`/customers/${encodeURIComponent(customerId)}`);
      this.ws.store.update((st) => {
        st.customers.set(customerId, panel);
        st.customerLoad.set(customerId, "ready");
      });
      return panel;
    } catch {
      this.ws.store.update((st) => {
        st.customerLoad.set(customerId, "error");
      });
      return null;
    }
  }

  /** Something about a customer changed (a rating, a ticket, a callback): read their panel again if shown. */
  customerChanged(customerId: string | null | undefined): void {
    if (!customerId || !this.ws.state.customers.has(customerId)) return;
    void this.loadCustomer(customerId, true);
  }
}

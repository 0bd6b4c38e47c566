// The dashboard's work lanes around the live lane: the counters strip, the
// thread's side panel (ticket, linked callbacks), the callback motor, the
// tickets view and support command (counters, lanes, drift, the next move,
// the launch decision and the recovery path).

import { ApiError } from "../shared/api";
import { clear, h, icon, ICONS } from "../shared/dom";
import type {
  Blocker,
  CallbackView,
  ConversationSnapshot,
  Counters,
  HubMode,
  HubSnapshot,
  Lane,
  ServerEvent,
  TicketStatus,
  TicketView,
} from "../shared/types";
import { formatAgo, formatTime, toMs } from "../shared/util";
import {
  dueLabel,
  EMPTY_COUNTERS,
  LANE_LABEL,
  MODE_LABEL,
  TICKET_STATUS_LABEL,
  WINDOW_LABEL,
  WorkState,
} from "./work";

export type View = "lane" | "tickets" | "command";
type Load = "loading" | "ready" | "error";

export interface LanesHost {
  me(): { agent_id: string; name: string; tenant: string };
  api<T>(path: string, opts?: { method?: string; body?: unknown }): Promise<T>;
  conversations(): ConversationSnapshot[];
  selected(): string | null;
  select(conversationId: string): void;
  showView(view: View): void;
  toast(text: string, kind?: "error" | "warn" | "info"): void;
  lastCustomerText(conversationId: string): string;
}

export const EXTRA_ICONS = {
  phone: ["M5 4h4l2 5-2.5 1.5a11 11 0 0 0 5 5L15 13l5 2v4a2 2 0 0 1-2 2A16 16 0 0 1 3 6a2 2 0 0 1 2-2z"],
  ticket: ["M4 7a2 2 0 0 0 2-2h12a2 2 0 0 0 2 2v3a2 2 0 0 0 0 4v3a2 2 0 0 0-2 2H6a2 2 0 0 0-2-2v-3a2 2 0 0 0 0-4z", "M10 5v14"],
  gauge: ["M12 14l4-4", "M3.5 18a9 9 0 1 1 17 0"],
  flag: ["M5 21V4", "M5 4h11l-2 4 2 4H5"],
  arrow: ["M5 12h14", "M13 6l6 6-6 6"],
  rocket: ["M12 15l-3-3a12 12 0 0 1 9-8 12 12 0 0 1-6 11z", "M9 12H5l2-4h4", "M12 15v4l4-2v-4", "M6 16c-1.5 1-2 4-2 4s3-.5 4-2"],
  users: ["M9 11a4 4 0 1 0 0-8 4 4 0 0 0 0 8z", "M2 21a7 7 0 0 1 14 0", "M16 3.5a4 4 0 0 1 0 7", "M22 21a7 7 0 0 0-4-6.3"],
};

const COUNTER_TILES: { key: keyof Counters; label: string; hint: string; view: View; focus?: string }[] = [
  { key: "open_tickets", label: "Open tickets", hint: "Tickets not solved yet", view: "tickets" },
  { key: "waiting_internal", label: "Waiting internal", hint: "Blocked on another internal team", view: "tickets" },
  { key: "callback_queued", label: "Callback queued", hint: "Customers waiting for a call", view: "lane", focus: "motor" },
  { key: "callback_overdue", label: "Callback overdue", hint: "Past their due time", view: "lane", focus: "motor" },
];

export class Lanes {
  state = new WorkState();
  hub: HubSnapshot | null = null;
  /** Agents we know by name (ourselves, presence events, participants, owners). */
  agents = new Map<string, string>();
  private cbLoad: Load = "loading";
  private tkLoad: Load = "loading";
  private hubLoad: Load = "loading";
  private loadError = "";
  private blockers: Blocker[] | null = null;
  private modeHistory: { at: string; by: { name: string }; change: string }[] = [];
  private busy = new Set<string>();
  /** A status picked but not saved yet (waiting internal asks on whom first). */
  private drafts = new Map<string, TicketStatus>();
  private contextSig = "";
  private hubTimer: ReturnType<typeof setTimeout> | null = null;
  private view: View = "lane";

  // Elements.
  strip!: HTMLElement;
  rail!: HTMLElement;
  ticketsView!: HTMLElement;
  commandView!: HTMLElement;
  private context!: HTMLElement;
  private motor!: HTMLElement;
  private motorList!: HTMLElement;
  private motorCount!: HTMLElement;
  private missedForm: HTMLFormElement | null = null;
  private ticketForm: { conv: string; el: HTMLFormElement } | null = null;

  constructor(private host: LanesHost) {}

  build(): void {
    const me = this.host.me();
    this.agents.set(me.agent_id, me.name);
    this.strip = h("section", { className: "strip", "aria-label": "Hub counters", "data-testid": "counters-strip" });
    this.context = h("div", { className: "rail-context" });
    this.motorCount = h("span", { className: "count" });
    this.motorList = h("div", { className: "motor-list" });
    this.motor = h(
      "section",
      { className: "motor", id: "motor", "aria-labelledby": "motor-title", "data-testid": "callback-queue" },
      h(
        "div",
        { className: "rail-head" },
        icon(EXTRA_ICONS.phone, 16),
        h("h2", { id: "motor-title" }, "Callback motor"),
        this.motorCount,
        h("button", { className: "link small", type: "button", "data-testid": "log-missed-call", onClick: () => this.toggleMissedForm() }, "Log missed call"),
      ),
      h("p", { className: "rail-sub muted" }, "Missed-call recovery stays one click away from the live lane."),
      this.motorList,
    );
    this.rail = h("aside", { className: "rail", "aria-label": "Thread context and callbacks" }, this.context, this.motor);
    this.ticketsView = h("main", { className: "page", "aria-label": "Tickets", hidden: true });
    this.commandView = h("main", { className: "page", "aria-label": "Support command", hidden: true });
    this.renderStrip();
    this.renderRail();
  }

  // ---- loading --------------------------------------------------------------

  async loadAll(quiet = false): Promise<void> {
    if (!quiet) {
      this.cbLoad = this.tkLoad = this.hubLoad = "loading";
      this.renderAll();
    }
    await Promise.all([this.loadCallbacks(quiet), this.loadTickets(quiet), this.loadHub(quiet), this.loadAgents()]);
  }

  /** Every agent of the tenant (GET /agents), so any of them can be made a ticket's owner. */
  private async loadAgents(): Promise<void> {
    try {
      const r = await this.host.api<{ agents: { id: string; name: string }[] }>("/agents");
      for (const a of r.agents || []) this.agents.set(a.id, a.name);
      this.renderTickets();
    } catch {
      // The directory only widens the owner picker; agents seen in events still fill it.
    }
  }

  private async loadCallbacks(quiet: boolean): Promise<void> {
    try {
      const r = await this.host.api<{ callbacks: CallbackView[] }>("/callbacks");
      this.state.setQueue(r.callbacks || []);
      for (const cb of r.callbacks || []) if (cb.claimed_by) this.agents.set(cb.claimed_by.id, cb.claimed_by.name);
      this.cbLoad = "ready";
    } catch (e) {
      if (!quiet || this.cbLoad !== "ready") {
        this.cbLoad = "error";
        this.loadError = message(e);
      }
    }
    this.renderRail();
  }

  private async loadTickets(quiet: boolean): Promise<void> {
    try {
      const r = await this.host.api<{ tickets: TicketView[] }>("/tickets");
      this.state.setTickets(r.tickets || []);
      for (const t of r.tickets || []) this.agents.set(t.owner.id, t.owner.name);
      this.tkLoad = "ready";
    } catch (e) {
      if (!quiet || this.tkLoad !== "ready") {
        this.tkLoad = "error";
        this.loadError = message(e);
      }
    }
    this.renderRail();
    this.renderTickets();
  }

  async loadHub(quiet = true): Promise<void> {
    try {
      const [snap, hist] = await Promise.all([
        this.host.api<HubSnapshot>("/hub"),
        this.host.api<{ history: { at: string; by: { name: string }; change: string }[] }>("/hub/mode").catch(() => ({ history: this.modeHistory })),
      ]);
      this.hub = snap;
      this.modeHistory = hist.history || [];
      this.state.counters = snap.counters;
      this.state.mode = snap.mode.mode;
      this.state.modeBy = snap.mode.by;
      this.state.modeAt = snap.mode.at;
      this.hubLoad = "ready";
      if (snap.launch.ready) this.blockers = null;
    } catch (e) {
      if (!quiet || this.hubLoad !== "ready") {
        this.hubLoad = "error";
        this.loadError = message(e);
      }
    }
    this.renderStrip();
    this.renderCommand();
    this.onModeChange?.();
  }

  /** Pressure, next move and launch are computed by the hub: re-read them soon after a change. */
  private hubSoon(): void {
    if (this.hubTimer) return;
    this.hubTimer = setTimeout(() => {
      this.hubTimer = null;
      void this.loadHub(true);
    }, 600);
  }

  onModeChange?: () => void;

  // ---- live events ----------------------------------------------------------

  onEvent(ev: ServerEvent): void {
    switch (ev.type) {
      case "callback":
      case "callback_alert": {
        const cb = ev.callback;
        if (cb.claimed_by) this.agents.set(cb.claimed_by.id, cb.claimed_by.name);
        this.state.applyCallback(cb);
        if (ev.type === "callback_alert" && this.state.callbacks.has(cb.id)) {
          this.state.alerted.add(cb.id);
          this.host.toast(`Overdue callback: ${cb.customer_name || cb.phone} is waiting since ${formatTime(cb.due_at)}`, "warn");
        }
        this.renderRail();
        this.hubSoon();
        break;
      }
      case "ticket":
        this.agents.set(ev.ticket.owner.id, ev.ticket.owner.name);
        this.state.applyTicket(ev.ticket);
        this.renderRail();
        this.renderTickets();
        this.hubSoon();
        break;
      case "counters":
        this.state.counters = ev.counters;
        this.renderStrip();
        this.hubSoon();
        break;
      case "mode":
        this.state.mode = ev.mode;
        this.state.modeBy = ev.by;
        this.state.modeAt = ev.at;
        this.onModeChange?.();
        this.hubSoon();
        break;
      case "presence":
        if (ev.agent) this.agents.set(ev.agent.id, ev.agent.name);
        this.hubSoon();
        break;
      case "conversation":
        for (const p of ev.conversation.participants || []) if (p.role === "agent") this.agents.set(p.id, p.name);
        break;
    }
  }

  setView(v: View): void {
    this.view = v;
    if (v === "command") void this.loadHub(true);
    this.renderTickets();
    this.renderCommand();
  }

  renderAll(): void {
    this.renderStrip();
    this.renderRail();
    this.renderTickets();
    this.renderCommand();
  }

  // ---- counters strip -------------------------------------------------------

  renderStrip(): void {
    if (!this.strip) return;
    clear(this.strip);
    const c = this.state.counters;
    for (const tile of COUNTER_TILES) {
      const value = c ? c[tile.key] : null;
      const hot = tile.key === "callback_overdue" && !!value;
      this.strip.appendChild(
        h(
          "button",
          {
            type: "button",
            className: `tile${hot ? " hot" : ""}${value === null ? " loading" : ""}`,
            "data-testid": `counter-${tile.key}`,
            "data-value": value === null ? "" : String(value),
            title: tile.hint,
            onClick: () => {
              this.host.showView(tile.view);
              if (tile.focus) document.getElementById(tile.focus)?.scrollIntoView({ block: "start", behavior: "smooth" });
            },
          },
          h("span", { className: "tile-label" }, tile.label),
          h("span", { className: "tile-value", "aria-live": "polite" }, value === null ? "–" : String(value)),
        ),
      );
    }
    const cc = c || EMPTY_COUNTERS;
    this.strip.appendChild(
      h(
        "div",
        { className: "strip-meta" },
        h("span", { "data-testid": "counter-active_chats", "data-value": c ? String(cc.active_chats) : "" }, h("strong", null, c ? String(cc.active_chats) : "–"), cc.active_chats === 1 ? " active chat" : " active chats"),
        h(
          "span",
          { "data-testid": "counter-agents_available", "data-value": c ? String(cc.agents_available) : "" },
          h("strong", null, c ? String(cc.agents_available) : "–"),
          cc.agents_available === 1 ? " agent available" : " agents available",
        ),
      ),
    );
  }

  // ---- side panel: this conversation + callback motor ----------------------

  renderRail(): void {
    if (!this.rail) return;
    this.renderContext();
    this.renderMotor();
  }

  private renderContext(): void {
    const id = this.host.selected();
    // Rebuild only when what it shows changed, so a half-filled field keeps its text and focus.
    const conv0 = id ? this.host.conversations().find((c) => c.id === id) : undefined;
    const sig = JSON.stringify([
      id,
      conv0?.owner,
      conv0?.status,
      conv0?.customer?.name,
      id ? this.state.ticketFor(id) : null,
      id ? this.state.forConversation(id).map((c) => [c, dueLabel(c)]) : null,
      Array.from(this.busy),
      Array.from(this.drafts),
      Array.from(this.agents),
      this.tkLoad,
      id ? null : this.hub?.next_move.reason,
      this.ticketForm?.conv,
    ]);
    if (sig === this.contextSig) return;
    this.contextSig = sig;
    clear(this.context);
    if (!id) {
      this.context.appendChild(
        h(
          "section",
          { className: "card ctx-empty" },
          h("h2", null, "Work next"),
          h("p", { className: "muted" }, this.hub ? this.hub.next_move.reason : "Open a conversation to see its owner, ticket and callbacks here."),
          this.hub
            ? h("button", { className: "link small", type: "button", onClick: () => this.host.showView("command") }, "Open support command", icon(EXTRA_ICONS.arrow, 14))
            : null,
        ),
      );
      return;
    }
    const conv = this.host.conversations().find((c) => c.id === id);
    const ticket = this.state.ticketFor(id);
    const linked = this.state.forConversation(id);
    const card = h("section", { className: "card", "data-testid": "thread-context", "aria-label": "This conversation" });
    card.appendChild(h("h2", null, "This conversation"));
    card.appendChild(
      h(
        "dl",
        { className: "facts" },
        h("dt", null, "Customer"),
        h("dd", null, conv?.customer?.name || "Visitor"),
        h("dt", null, "Owner"),
        h("dd", null, conv?.owner ? (conv.owner.id === this.host.me().agent_id ? "You" : conv.owner.name) : "Unassigned"),
        h("dt", null, "Status"),
        h("dd", null, conv?.status === "closed" ? "Closed" : "Open"),
      ),
    );
    // Ticket.
    card.appendChild(h("h3", null, icon(EXTRA_ICONS.ticket, 14), "Ticket"));
    if (ticket) card.appendChild(this.ticketEditor(ticket, true));
    else if (this.tkLoad === "loading") card.appendChild(h("p", { className: "muted small" }, "Loading tickets…"));
    else card.appendChild(this.ticketCreate(id));
    // Callbacks linked to this conversation.
    card.appendChild(h("h3", null, icon(EXTRA_ICONS.phone, 14), "Callbacks"));
    if (linked.length) {
      const ul = h("ul", { className: "cb-list" });
      for (const cb of linked) ul.appendChild(this.callbackItem(cb, true));
      card.appendChild(ul);
    } else {
      card.appendChild(h("p", { className: "muted small", "data-testid": "thread-callbacks-empty" }, "No callback requested in this conversation."));
    }
    this.context.appendChild(card);
  }

  private ticketCreate(conversationId: string): HTMLElement {
    if (this.ticketForm && this.ticketForm.conv === conversationId) return this.ticketForm.el;
    const subject = h("input", {
      className: "field",
      "data-testid": "ticket-subject",
      "aria-label": "Ticket subject",
      maxlength: "200",
      placeholder: "Subject",
    });
    const submit = h("button", { className: "btn small primary", type: "submit", "data-testid": "ticket-create-submit" }, "Create ticket");
    const cancel = h("button", { className: "btn small", type: "button" }, "Cancel");
    const fields = h("div", { className: "form-row", hidden: true }, subject, h("div", { className: "row" }, submit, cancel));
    const open = h(
      "button",
      { className: "btn small", type: "button", "data-testid": "ticket-create" },
      icon(EXTRA_ICONS.ticket, 14),
      "Create ticket from this thread",
    );
    const form = h(
      "form",
      {
        className: "ticket-create",
        onSubmit: async (e: Event) => {
          e.preventDefault();
          const text = subject.value.trim();
          if (!text) {
            subject.focus();
            return;
          }
          submit.disabled = true;
          submit.textContent = "Creating…";
          try {
            const r = await this.host.api<{ ticket: TicketView }>("/tickets", { method: "POST", body: { subject: text, conversation_id: conversationId } });
            this.state.applyTicket(r.ticket);
            this.ticketForm = null;
            this.host.toast(`Ticket created: ${r.ticket.subject}`);
            this.renderRail();
            this.renderTickets();
            this.hubSoon();
          } catch (err) {
            this.host.toast(`Couldn't create the ticket: ${message(err)}`, "error");
            submit.disabled = false;
            submit.textContent = "Create ticket";
          }
        },
      },
      open,
      fields,
    );
    open.addEventListener("click", () => {
      open.hidden = true;
      fields.hidden = false;
      if (!subject.value) subject.value = this.host.lastCustomerText(conversationId).slice(0, 120);
      subject.focus();
      subject.select();
    });
    cancel.addEventListener("click", () => {
      open.hidden = false;
      fields.hidden = true;
    });
    this.ticketForm = { conv: conversationId, el: form };
    return form;
  }

  /** Status, waiting-on and owner of a ticket, each one change away. */
  private ticketEditor(t: TicketView, compact: boolean): HTMLElement {
    const busy = this.busy.has(t.id);
    const shown = this.drafts.get(t.id) || t.status;
    const status = h(
      "select",
      { className: "field", "data-testid": "ticket-status", "aria-label": `Status of ticket ${t.subject}`, disabled: busy },
      ...(["open", "waiting_internal", "waiting_customer", "solved"] as TicketStatus[]).map((s) =>
        h("option", { value: s, selected: s === shown }, TICKET_STATUS_LABEL[s]),
      ),
    );
    const waiting = h("input", {
      className: "field",
      "data-testid": "ticket-waiting-on",
      "aria-label": "Waiting on (team or person)",
      placeholder: "Waiting on… (e.g. Billing)",
      value: t.waiting_on || "",
      disabled: busy,
    });
    const waitingRow = h("label", { className: "inline", hidden: shown !== "waiting_internal" }, h("span", null, "Waiting on"), waiting);
    const owners = new Map(this.agents);
    owners.set(t.owner.id, t.owner.name);
    const me = this.host.me();
    const owner = h(
      "select",
      { className: "field", "data-testid": "ticket-owner", "aria-label": "Ticket owner", disabled: busy },
      ...Array.from(owners.entries()).map(([id, name]) => h("option", { value: id, selected: id === t.owner.id }, id === me.agent_id ? `${name} (you)` : name)),
    );
    status.addEventListener("change", () => {
      const s = status.value as TicketStatus;
      if (s === "waiting_internal") {
        waitingRow.hidden = false;
        if (!waiting.value.trim()) {
          this.drafts.set(t.id, s);
          waiting.focus();
          return; // saved once we know who it waits on
        }
        void this.patchTicket(t, { status: s, waiting_on: waiting.value.trim() });
      } else {
        this.drafts.delete(t.id);
        void this.patchTicket(t, { status: s });
      }
    });
    const saveWaiting = () => {
      const v = waiting.value.trim();
      if (!v || (status.value === t.status && v === (t.waiting_on || ""))) return;
      void this.patchTicket(t, { status: "waiting_internal", waiting_on: v });
    };
    waiting.addEventListener("change", saveWaiting);
    waiting.addEventListener("keydown", (e: KeyboardEvent) => {
      if (e.key === "Enter") {
        e.preventDefault();
        saveWaiting();
      }
    });
    owner.addEventListener("change", () => {
      const id = owner.value;
      void this.patchTicket(t, { owner: { id, name: owners.get(id) || id } });
    });
    return h(
      "div",
      { className: `ticket${compact ? " compact" : ""}`, "data-testid": "ticket-card", "data-ticket-id": t.id, "data-status": t.status },
      h(
        "div",
        { className: "ticket-top" },
        h("span", { className: `tstatus ${t.status}` }, TICKET_STATUS_LABEL[t.status] || t.status),
        h("span", { className: "ticket-subject", "data-testid": "ticket-subject-text" }, t.subject),
      ),
      t.status === "waiting_internal" && t.waiting_on ? h("div", { className: "muted small" }, `Blocked on ${t.waiting_on}`) : null,
      h("label", { className: "inline" }, h("span", null, "Status"), status),
      waitingRow,
      h("label", { className: "inline" }, h("span", null, "Owner"), owner),
      h("div", { className: "muted small" }, `#${t.id.slice(-6)} · updated ${formatAgo(t.updated_at)}`),
    );
  }

  private async patchTicket(t: TicketView, body: Record<string, unknown>): Promise<void> {
    this.busy.add(t.id);
    try {
      const r = await this.host.api<{ ticket: TicketView }>(`/tickets/${encodeURIComponent(t.id)}`, { method: "PATCH", body });
      this.drafts.delete(t.id);
      this.state.applyTicket(r.ticket);
      this.hubSoon();
    } catch (err) {
      this.host.toast(`Couldn't update the ticket: ${message(err)}`, "error");
    } finally {
      this.busy.delete(t.id);
      this.renderRail();
      this.renderTickets();
    }
  }

  private renderMotor(): void {
    const list = this.state.queue();
    const overdue = list.filter((c) => c.overdue).length;
    this.motorCount.textContent = this.cbLoad === "ready" ? `${list.length}${overdue ? ` · ${overdue} overdue` : ""}` : "";
    this.motorCount.className = `count${overdue ? " hot" : ""}`;
    clear(this.motorList);
    if (this.missedForm) this.motorList.appendChild(this.missedForm);
    if (this.cbLoad === "loading" && !list.length) {
      this.motorList.appendChild(h("div", { className: "skeletons", "aria-busy": "true" }, ...[0, 1].map(() => h("div", { className: "skeleton" }, h("i"), h("b"), h("b", { className: "short" })))));
      return;
    }
    if (this.cbLoad === "error" && !list.length) {
      this.motorList.appendChild(
        h(
          "div",
          { className: "empty small error", role: "alert" },
          h("p", { className: "empty-title" }, "Couldn't load the callback queue"),
          h("p", { className: "muted" }, this.loadError),
          h("button", { className: "btn small", type: "button", onClick: () => void this.loadCallbacks(false) }, "Try again"),
        ),
      );
      return;
    }
    if (!list.length) {
      this.motorList.appendChild(
        h(
          "div",
          { className: "empty small", "data-testid": "callback-queue-empty" },
          icon(EXTRA_ICONS.phone, 22, "icon big"),
          h("p", { className: "empty-title" }, "No callbacks waiting"),
          h("p", { className: "muted" }, "Requests from the widget and logged missed calls land here, soonest due first."),
        ),
      );
      return;
    }
    const ul = h("ul", { className: "cb-list" });
    for (const cb of list) ul.appendChild(this.callbackItem(cb, false));
    this.motorList.appendChild(ul);
  }

  private callbackItem(cb: CallbackView, inThread: boolean): HTMLLIElement {
    const me = this.host.me().agent_id;
    const mine = cb.claimed_by?.id === me;
    const busy = this.busy.has(cb.id);
    const step = (name: string, label: string, primary = false) =>
      h(
        "button",
        {
          className: `btn tiny${primary ? " primary" : ""}`,
          type: "button",
          disabled: busy,
          "data-testid": `callback-${name}`,
          onClick: () => void this.callbackStep(cb, name),
        },
        label,
      );
    const actions = h("div", { className: "cb-actions" });
    if (cb.status === "queued") actions.append(step("claim", "Claim", true));
    else if (mine) actions.append(step("complete", "Completed", true), step("no-answer", "No answer"), step("release", "Release"));
    if (!inThread && cb.conversation_id) {
      actions.append(
        h(
          "button",
          { className: "link small", type: "button", "data-testid": "callback-open-thread", onClick: () => this.host.select(cb.conversation_id!) },
          "Open thread",
        ),
      );
    }
    const linkedHere = cb.conversation_id && cb.conversation_id === this.host.selected();
    return h(
      "li",
      {
        className: `cb${cb.overdue ? " overdue" : ""}${cb.priority === "high" ? " high" : ""}${linkedHere && !inThread ? " here" : ""}${this.state.alerted.has(cb.id) ? " alerted" : ""}`,
        "data-testid": "callback-item",
        "data-callback-id": cb.id,
        "data-status": cb.status,
        "data-overdue": String(cb.overdue),
      },
      h(
        "div",
        { className: "cb-top" },
        h("span", { className: "cb-name" }, cb.customer_name || "Customer"),
        h("span", { className: `due${cb.overdue ? " hot" : ""}`, title: new Date(toMs(cb.due_at)).toLocaleString() }, cb.overdue ? icon(ICONS.alert, 13) : icon(ICONS.clock, 13), dueLabel(cb)),
      ),
      h("a", { className: "cb-phone", href: `tel:${cb.phone}`, "data-testid": "callback-phone" }, cb.phone),
      cb.reason ? h("div", { className: "cb-reason" }, cb.reason) : null,
      h(
        "div",
        { className: "cb-meta muted" },
        WINDOW_LABEL[cb.window || ""] || cb.window || "",
        cb.attempts ? ` · attempt ${cb.attempts + 1}${cb.max_attempts ? ` of ${cb.max_attempts}` : ""}` : "",
        cb.source === "agent" ? " · missed call" : cb.source === "widget" ? " · from the widget" : "",
        cb.claimed_by ? h("span", { className: "claimed" }, ` · ${mine ? "You're calling" : `${cb.claimed_by.name} is calling`}`) : null,
      ),
      actions,
    );
  }

  private async callbackStep(cb: CallbackView, step: string): Promise<void> {
    this.busy.add(cb.id);
    this.renderRail();
    try {
      const r = await this.host.api<{ callback: CallbackView }>(`/callbacks/${encodeURIComponent(cb.id)}/${step}`, { method: "POST", body: {} });
      this.state.applyCallback(r.callback);
      if (step === "complete") this.host.toast(`Callback to ${r.callback.phone} completed`);
      if (step === "no-answer")
        this.host.toast(r.callback.status === "failed" ? `No answer: ${r.callback.phone} reached its last attempt` : `No answer: ${r.callback.phone} is back in the queue for a retry`, "warn");
      this.hubSoon();
    } catch (err) {
      this.host.toast(`${step === "claim" ? "Couldn't claim" : "Couldn't update"} the callback: ${message(err)}`, "error");
      void this.loadCallbacks(true);
    } finally {
      this.busy.delete(cb.id);
      this.renderRail();
    }
  }

  private toggleMissedForm(): void {
    if (this.missedForm) {
      this.missedForm = null;
      this.renderMotor();
      return;
    }
    const phone = h("input", { className: "field", type: "tel", required: true, placeholder: "+46 70 123 45 67", "aria-label": "Phone number", "data-testid": "missed-phone" });
    const name = h("input", { className: "field", placeholder: "Customer name (optional)", "aria-label": "Customer name" });
    const window = h(
      "select",
      { className: "field", "aria-label": "Preferred window" },
      ...Object.entries(WINDOW_LABEL).map(([v, l]) => h("option", { value: v }, l)),
    );
    const reason = h("input", { className: "field", placeholder: "Reason (optional)", "aria-label": "Reason", maxlength: "500" });
    const error = h("div", { className: "form-error", role: "alert", hidden: true });
    const submit = h("button", { className: "btn small primary", type: "submit" }, "Add to queue");
    const form = h(
      "form",
      {
        className: "missed card-inset",
        onSubmit: async (e: Event) => {
          e.preventDefault();
          if (!phone.value.trim()) return phone.focus();
          submit.disabled = true;
          const body: Record<string, string> = { phone: phone.value.trim(), window: window.value };
          if (name.value.trim()) body.customer_name = name.value.trim();
          if (reason.value.trim()) body.reason = reason.value.trim();
          const conv = this.host.selected();
          if (conv) body.conversation_id = conv;
          try {
            const r = await this.host.api<{ callback: CallbackView }>("/callbacks", { method: "POST", body });
            this.state.applyCallback(r.callback);
            this.missedForm = null;
            this.renderRail();
            this.hubSoon();
          } catch (err) {
            error.textContent = message(err);
            error.hidden = false;
            submit.disabled = false;
          }
        },
      },
      h("strong", null, "Log a missed call"),
      error,
      phone,
      name,
      window,
      reason,
      h("div", { className: "row" }, submit, h("button", { className: "btn small", type: "button", onClick: () => this.toggleMissedForm() }, "Cancel")),
    );
    this.missedForm = form;
    this.renderMotor();
    phone.focus();
  }

  // ---- tickets view -----------------------------------------------------------

  renderTickets(): void {
    if (!this.ticketsView || this.view !== "tickets") return;
    const v = this.ticketsView;
    clear(v);
    const list = this.state.openTickets();
    v.appendChild(
      h(
        "header",
        { className: "page-head" },
        h("div", null, h("h1", null, "Tickets"), h("p", { className: "muted" }, "When chat cannot finish the job: every ticket has an owner, and the thread stays attached.")),
      ),
    );
    if (this.tkLoad === "loading" && !list.length) {
      v.appendChild(h("div", { className: "empty", "aria-busy": "true" }, h("div", { className: "spinner" }), h("p", { className: "muted" }, "Loading tickets…")));
      return;
    }
    if (this.tkLoad === "error" && !list.length) {
      v.appendChild(
        h(
          "div",
          { className: "empty error", role: "alert" },
          h("p", { className: "empty-title" }, "Couldn't load tickets"),
          h("p", { className: "muted" }, this.loadError),
          h("button", { className: "btn", type: "button", onClick: () => void this.loadTickets(false) }, "Try again"),
        ),
      );
      return;
    }
    if (!list.length) {
      v.appendChild(
        h(
          "div",
          { className: "empty" },
          icon(EXTRA_ICONS.ticket, 28, "icon big"),
          h("p", { className: "empty-title" }, "No open tickets"),
          h("p", { className: "muted" }, "Create one from a conversation's side panel when chat cannot finish the job."),
        ),
      );
      return;
    }
    const grid = h("div", { className: "ticket-grid", "data-testid": "ticket-list" });
    for (const t of list) {
      const card = this.ticketEditor(t, false);
      if (t.conversation_id) {
        const cid = t.conversation_id;
        card.appendChild(
          h("button", { className: "link small", type: "button", onClick: () => this.host.select(cid) }, `Open thread with ${t.customer?.name || "the customer"}`, icon(EXTRA_ICONS.arrow, 14)),
        );
      }
      grid.appendChild(card);
    }
    v.appendChild(grid);
  }

  // ---- support command --------------------------------------------------------

  renderCommand(): void {
    if (!this.commandView || this.view !== "command") return;
    const v = this.commandView;
    clear(v);
    const hub = this.hub;
    v.appendChild(
      h(
        "header",
        { className: "page-head" },
        h(
          "div",
          null,
          h("h1", null, "Support command"),
          h("p", { className: "muted" }, "Typing, presence and callback dispatch in one live lane: counters, lanes, owners, drift and the next move."),
        ),
        h("button", { className: "btn", type: "button", onClick: () => void this.loadHub(false) }, icon(ICONS.retry, 15), "Refresh"),
      ),
    );
    if (!hub) {
      v.appendChild(
        this.hubLoad === "error"
          ? h(
              "div",
              { className: "empty error", role: "alert" },
              h("p", { className: "empty-title" }, "Couldn't load support command"),
              h("p", { className: "muted" }, this.loadError),
              h("button", { className: "btn", type: "button", onClick: () => void this.loadHub(false) }, "Try again"),
            )
          : h("div", { className: "empty", "aria-busy": "true" }, h("div", { className: "spinner" }), h("p", { className: "muted" }, "Reading live state…")),
      );
      return;
    }
    const p = hub.pressure;
    const move = hub.next_move;
    const mode = this.state.mode || hub.mode.mode;

    // Fix next.
    const fix = h(
      "section",
      { className: `card fix ${move.severity}`, "data-testid": "next-move", "data-lane": move.lane, "data-severity": move.severity },
      h("div", { className: "eyebrow" }, icon(EXTRA_ICONS.flag, 14), "Fix next"),
      h("h2", null, LANE_LABEL[move.lane] || move.lane),
      h("p", { className: "reason", "data-testid": "next-move-reason" }, move.reason),
      h(
        "div",
        { className: "row" },
        h("span", { className: `sev ${move.severity}` }, move.severity === "calm" ? "Calm" : move.severity === "urgent" ? "Urgent" : "Needs attention"),
        h("button", { className: "btn small primary", type: "button", onClick: () => this.goLane(move.lane) }, `Go to ${LANE_LABEL[move.lane] || move.lane}`, icon(EXTRA_ICONS.arrow, 14)),
      ),
    );

    // Launch decision.
    const blockers = this.blockers ?? hub.launch.blockers;
    const goLive = h(
      "button",
      { className: "btn primary", type: "button", "data-testid": "go-live", disabled: mode === "live" || this.busy.has("mode") },
      icon(EXTRA_ICONS.rocket, 15),
      mode === "live" ? "Live" : "Go live now",
    );
    goLive.addEventListener("click", () => void this.setMode("live"));
    const recovery = h(
      "button",
      { className: "btn", type: "button", "data-testid": "open-recovery", disabled: mode === "recovery" || this.busy.has("mode") },
      "Open recovery path",
    );
    recovery.addEventListener("click", () => void this.setMode("recovery"));
    const launch = h(
      "section",
      { className: `card launch${hub.launch.ready ? " ready" : " blocked"}`, "data-testid": "launch-decision", "data-ready": String(hub.launch.ready) },
      h("div", { className: "eyebrow" }, icon(EXTRA_ICONS.rocket, 14), "Launch decision"),
      h("h2", { "data-testid": "launch-headline" }, hub.launch.ready ? "Ready for handoff" : hub.launch.headline),
      h("p", { className: "muted" }, hub.launch.ready ? "Hand off to launch mode once the live lane is stable." : "Going live waits until these are recovered:"),
      blockers.length
        ? h(
            "ul",
            { className: "blockers", "data-testid": "launch-blockers" },
            ...blockers.map((b) =>
              h(
                "li",
                { "data-code": b.code },
                icon(ICONS.alert, 14),
                h("span", null, b.message),
                h("button", { className: "link small", type: "button", onClick: () => this.goLane(b.lane) }, LANE_LABEL[b.lane] || b.lane),
              ),
            ),
          )
        : null,
      h("div", { className: "row" }, goLive, recovery),
      h(
        "p",
        { className: "muted small", "data-testid": "mode-line" },
        `Mode: ${MODE_LABEL[mode] || mode}`,
        this.state.modeBy ? ` · set by ${this.state.modeBy}${this.state.modeAt ? ` at ${formatTime(this.state.modeAt)}` : ""}` : "",
      ),
    );

    // Recovery path (seed copy).
    const recoveryCard = h(
      "section",
      { className: `card path${mode === "recovery" ? " active" : ""}` },
      h("div", { className: "eyebrow" }, "Live recovery path"),
      h("h2", null, "Keep the live chat lane readable and recoverable"),
      h("p", { className: "muted" }, "When presence, typing or callback dispatch drifts, send the team to the exact lane that can recover the conversation without breaking the thread."),
      h(
        "ul",
        { className: "steps" },
        h("li", null, h("strong", null, "Read live state"), " Keep typing, delivery and presence together in one lane."),
        h("li", null, h("strong", null, "Fix next"), " Move to tickets, callbacks or support command based on the pressure."),
        h("li", null, h("strong", null, "Go live now"), " Hand off to launch mode once the live lane is stable."),
      ),
    );

    // Lanes.
    const age = (s: number | null | undefined) => (s == null ? "–" : s < 60 ? `${Math.round(s)} s` : s < 3600 ? `${Math.round(s / 60)} min` : `${Math.round(s / 3600)} h`);
    const lane = (key: Lane, title: string, rows: [string, string | number | null | undefined, boolean?][]) =>
      h(
        "section",
        { className: `card lane${move.lane === key ? " next" : ""}`, "data-testid": `lane-${key}` },
        h("div", { className: "lane-head" }, h("h3", null, title), move.lane === key ? h("span", { className: "pill" }, "Next move") : null),
        h("dl", { className: "kv" }, ...rows.flatMap(([k, val, hot]) => [h("dt", null, k), h("dd", { className: hot ? "hot" : "" }, val == null ? "–" : String(val))])),
        h("button", { className: "link small", type: "button", onClick: () => this.goLane(key) }, `Open ${title.toLowerCase()}`, icon(EXTRA_ICONS.arrow, 14)),
      );
    const lanes = h(
      "div",
      { className: "lanes" },
      lane("live_chat", "Live chat", [
        ["Active chats", p.active_chats],
        ["Waiting for a reply", p.unanswered_chats, !!p.unanswered_chats],
        ["Longest wait", age(p.oldest_unanswered_chat_s)],
      ]),
      lane("callbacks", "Callbacks", [
        ["Queued", p.callback_queued],
        ["Overdue", p.callback_overdue, !!p.callback_overdue],
        ["Oldest overdue", age(p.oldest_overdue_callback_s)],
      ]),
      lane("tickets", "Tickets", [
        ["Open", p.open_tickets],
        ["Waiting internal", p.waiting_internal, !!p.waiting_internal],
        ["Oldest waiting", age(p.oldest_waiting_ticket_s)],
      ]),
      lane("support_command", "Drift", [
        ["Agents available", p.agents_available, !p.agents_available],
        ["Presence drift", p.presence_drift, !!p.presence_drift],
        ["Typing drift", p.typing_drift, !!p.typing_drift],
        ["Failing deliveries", p.failing_deliveries, !!p.failing_deliveries],
      ]),
    );

    // Owners: who carries what right now.
    const owners = new Map<string, { name: string; chats: number; tickets: number; calls: number }>();
    const bump = (id: string, name: string, k: "chats" | "tickets" | "calls") => {
      const o = owners.get(id) || { name, chats: 0, tickets: 0, calls: 0 };
      o[k]++;
      owners.set(id, o);
    };
    for (const c of this.host.conversations()) if (c.owner && c.status !== "closed") bump(c.owner.id, c.owner.name, "chats");
    for (const t of this.state.openTickets()) bump(t.owner.id, t.owner.name, "tickets");
    for (const cb of this.state.queue()) if (cb.claimed_by) bump(cb.claimed_by.id, cb.claimed_by.name, "calls");
    const ownerTable = h(
      "section",
      { className: "card owners" },
      h("div", { className: "eyebrow" }, icon(EXTRA_ICONS.users, 14), "Owners"),
      owners.size
        ? h(
            "table",
            null,
            h("thead", null, h("tr", null, h("th", null, "Agent"), h("th", null, "Chats"), h("th", null, "Tickets"), h("th", null, "Calls"))),
            h(
              "tbody",
              null,
              ...Array.from(owners.values()).map((o) => h("tr", null, h("td", null, o.name), h("td", null, String(o.chats)), h("td", null, String(o.tickets)), h("td", null, String(o.calls)))),
            ),
          )
        : h("p", { className: "muted" }, "Nobody owns open work yet."),
      this.modeHistory.length
        ? h(
            "div",
            { className: "history" },
            h("h3", null, "Mode changes"),
            h("ul", null, ...this.modeHistory.slice(0, 5).map((m) => h("li", null, h("span", null, m.change), h("span", { className: "muted" }, ` · ${m.by.name} · ${formatAgo(m.at)}`)))),
          )
        : null,
    );

    v.appendChild(h("div", { className: "command-grid" }, fix, launch, recoveryCard));
    v.appendChild(lanes);
    v.appendChild(ownerTable);
  }

  private goLane(l: Lane): void {
    if (l === "tickets") this.host.showView("tickets");
    else if (l === "support_command") this.host.showView("command");
    else {
      this.host.showView("lane");
      if (l === "callbacks") document.getElementById("motor")?.scrollIntoView({ block: "start" });
    }
  }

  private async setMode(mode: HubMode): Promise<void> {
    this.busy.add("mode");
    this.renderCommand();
    try {
      const snap = await this.host.api<HubSnapshot>("/hub/mode", { method: "POST", body: { mode } });
      this.hub = snap;
      this.state.mode = snap.mode.mode;
      this.state.modeBy = snap.mode.by;
      this.state.modeAt = snap.mode.at;
      this.blockers = null;
      this.host.toast(mode === "live" ? "The hub is live." : mode === "recovery" ? "Recovery mode: work the lanes the next move points at." : "Mode changed.");
      void this.loadHub(true);
    } catch (err) {
      if (err instanceof ApiError && err.code === "launch_blocked") {
        const data = err.data as { blockers?: Blocker[] } | undefined;
        this.blockers = data?.blockers || [];
        this.host.toast("Not ready to go live: recover the blockers first.", "warn");
        void this.loadHub(true);
      } else {
        this.host.toast(`Couldn't change the mode: ${message(err)}`, "error");
      }
    } finally {
      this.busy.delete("mode");
      this.renderCommand();
      this.onModeChange?.();
    }
  }
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

// The agent dashboard: header (tenant, mode, agent, presence, connection), the
// counters strip, the live lane (conversation list, thread view with composer,
// internal notes and close) and, via Lanes, the thread's side panel, the
// callback motor, tickets and support command.

import { apiFetch, isAuthFailure } from "../shared/api";
import { ChatClient, isOlder, type ChatMessage, type Thread } from "../shared/chat";
import { clear, h, icon, ICONS, nearBottom, reconcile } from "../shared/dom";
import { renderText } from "../shared/linkify";
import type { ConnState } from "../shared/socket";
import {
  MAX_TEXT,
  type ConversationSnapshot,
  type DeliveryState,
  type HubConfig,
  type Person,
  type PresenceStatus,
  type ServerEvent,
} from "../shared/types";
import { formatAgo, formatTime, initials, toMs } from "../shared/util";
import { refreshTokens, saveTokens, tokenExpired, type Tokens } from "./auth";
import { Lanes, type View } from "./lanes";
import { MODE_LABEL } from "./work";

interface Me {
  agent_id: string;
  name: string;
  tenant: string;
  presence: { status: PresenceStatus; reachable: boolean };
}

type Filter = "all" | "unassigned" | "mine";

const STATE_LABEL: Record<DeliveryState, string> = {
  sending: "Sending…",
  sent: "Sent",
  delivered: "Delivered",
  read: "Read",
  retry: "Not sent",
  "sent-again": "Sent again",
  failed: "Failed",
};

const PRESENCE_LABEL: Record<PresenceStatus, string> = {
  available: "Available",
  busy: "Busy",
  away: "Away",
  offline: "Offline",
};

const CONN_LABEL: Record<ConnState, string> = {
  idle: "Connecting…",
  connecting: "Connecting…",
  open: "Connected",
  reconnecting: "Reconnecting…",
  stopped: "Disconnected",
};

export interface AgentAppHooks {
  /** Leaves the workspace for the sign-in form, with a message for it. */
  signOut(message?: string): void;
}

export class AgentApp {
  private me!: Me;
  private client!: ChatClient;
  private convs = new Map<string, ConversationSnapshot>();
  private listState: "loading" | "ready" | "error" = "loading";
  private listError = "";
  private selectedId: string | null = null;
  private filter: Filter = "all";
  private noteMode = false;
  private conn: ConnState = "idle";
  private joinSent = new Set<string>();
  /** Conversations we are a participant of (receipts need that). */
  private joined = new Set<string>();
  private loaded = new Set<string>();
  private timers: ReturnType<typeof setInterval>[] = [];
  private destroyed = false;
  private presencePending: PresenceStatus | null = null;
  private meStale = false;
  private lanes!: Lanes;
  private view: View = "lane";

  // Elements.
  private connEl!: HTMLDivElement;
  private presenceSel!: HTMLSelectElement;
  private reachDot!: HTMLSpanElement;
  private countEl!: HTMLSpanElement;
  private tabs!: HTMLDivElement;
  private listWrap!: HTMLDivElement;
  private listEl!: HTMLUListElement;
  private threadPane!: HTMLElement;
  private threadHead!: HTMLElement;
  private threadBanner!: HTMLDivElement;
  private msgList!: HTMLOListElement;
  private msgState!: HTMLDivElement;
  private typingEl!: HTMLDivElement;
  private composer!: HTMLFormElement;
  private input!: HTMLTextAreaElement;
  private sendBtn!: HTMLButtonElement;
  private noteBtn!: HTMLButtonElement;
  private hint!: HTMLDivElement;
  private toasts!: HTMLDivElement;
  private modeEl!: HTMLSpanElement;
  private viewNav!: HTMLElement;
  private laneBody!: HTMLElement;

  constructor(
    private root: HTMLElement,
    private cfg: HubConfig,
    private tokens: Tokens,
    private hooks: AgentAppHooks,
  ) {}

  // ---- lifecycle ------------------------------------------------------------

  async start(): Promise<void> {
    this.splash("Loading your workspace…");
    try {
      this.me = await this.api<Me>("/me");
    } catch (e) {
      if (this.destroyed) return;
      if (isAuthFailure(e)) return this.expired();
      this.fatal("We couldn't load your workspace.", e instanceof Error ? e.message : String(e));
      return;
    }
    if (this.destroyed) return;
    this.lanes = new Lanes({
      me: () => this.me,
      api: (path, opts) => this.api(path, opts),
      conversations: () => Array.from(this.convs.values()),
      selected: () => this.selectedId,
      select: (id) => {
        this.showView("lane");
        this.select(id);
      },
      showView: (v) => this.showView(v),
      toast: (text, kind) => this.toast(text, kind),
      lastCustomerText: (id) => {
        const t = this.client.threads.get(id);
        const msgs = t ? t.messages() : [];
        for (let i = msgs.length - 1; i >= 0; i--) if (msgs[i].author.role === "customer" && msgs[i].kind === "text") return msgs[i].text.replace(/\s+/g, " ");
        return this.convs.get(id)?.preview?.author_role === "customer" ? this.convs.get(id)!.preview!.text : "";
      },
    });
    this.lanes.onModeChange = () => this.renderMode();
    this.buildShell();
    this.client = new ChatClient({
      me: (): Person => ({ role: "agent", id: this.me.agent_id, name: this.me.name }),
      url: async () => {
        await this.ensureFreshToken();
        const sep = this.cfg.wsUrl.includes("?") ? "&" : "?";
        return `${this.cfg.wsUrl}${sep}token=${encodeURIComponent(this.tokens.idToken)}`;
      },
      onOpen: (resumed) => this.onOpen(resumed),
      onRefused: () => this.onRefused(),
      onEvent: (ev) => this.onEvent(ev),
      onChange: (t) => {
        if (t.id === this.selectedId) this.renderThread();
        this.renderList();
      },
      onConnState: (s) => {
        this.conn = s;
        this.renderConn();
      },
      isVisible: (id) => id === this.selectedId && document.visibilityState === "visible",
      onNotJoined: (id) => this.join(id),
      canReceipt: (t) => this.isJoined(t),
    });
    this.client.start();
    void this.loadConversations();
    void this.lanes.loadAll();
    this.timers.push(setInterval(() => this.renderList(), 30_000));
    // Due times move on their own: refresh "due in …" and the hub's pressure.
    this.timers.push(setInterval(() => this.lanes.renderRail(), 20_000));
    this.timers.push(setInterval(() => void this.lanes.loadHub(true), 30_000));
    const fromHash = new URLSearchParams(location.hash.slice(1)).get("c");
    if (fromHash) this.select(fromHash);
  }

  destroy(): void {
    this.destroyed = true;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    this.client?.stop();
  }

  private async api<T>(path: string, opts: { method?: string; body?: unknown } = {}): Promise<T> {
    await this.ensureFreshToken();
    try {
      return await apiFetch<T>(this.cfg.apiUrl, path, { ...opts, token: this.tokens.idToken });
    } catch (e) {
      if (isAuthFailure(e)) this.expired();
      throw e;
    }
  }

  private async ensureFreshToken(): Promise<void> {
    if (!tokenExpired(this.tokens.idToken)) return;
    const fresh = await refreshTokens(this.cfg, this.tokens);
    if (!fresh) {
      this.expired();
      throw new Error("session expired");
    }
    this.tokens = fresh;
    saveTokens(fresh);
  }

  private expired(): void {
    if (this.destroyed) return;
    this.hooks.signOut("Your session has expired. Please sign in again.");
  }

  /** The socket was refused before opening: is our token still accepted? */
  private async onRefused(): Promise<boolean> {
    if (this.destroyed) return false;
    try {
      await this.api<Me>("/me");
    } catch (e) {
      if (isAuthFailure(e)) {
        this.expired();
        return false;
      }
      if (this.destroyed) return false;
    }
    return true; // the hub is just unreachable: keep trying with backoff
  }

  private onOpen(resumed: boolean): void {
    // The hub records our presence at connect but cannot tell this very
    // connection; once our first heartbeat is acknowledged, re-read /me.
    this.meStale = true;
    this.client.sendAction({ action: "heartbeat" });
    if (this.presencePending) this.client.sendAction({ action: "presence", status: this.presencePending });
    if (resumed) {
      // Events may have been missed while we were away: re-read the lanes.
      void this.loadConversations(true);
      void this.lanes.loadAll(true);
    }
    if (this.selectedId && !this.joinSent.has(this.selectedId)) this.join(this.selectedId);
  }

  private async refreshMe(): Promise<void> {
    try {
      const me = await this.api<Me>("/me");
      if (this.destroyed) return;
      this.me = { ...this.me, ...me, presence: this.presencePending ? { ...me.presence, status: this.presencePending } : me.presence };
      this.renderPresence();
    } catch (e) {
      if (isAuthFailure(e)) this.expired();
    }
  }

  private async loadConversations(quiet = false): Promise<void> {
    if (!quiet) {
      this.listState = "loading";
      this.renderList();
    }
    try {
      const r = await this.api<{ conversations: ConversationSnapshot[] }>("/conversations");
      for (const c of r.conversations || []) this.upsert(c);
      this.listState = "ready";
    } catch (e) {
      if (isAuthFailure(e)) return this.expired();
      if (!quiet || this.listState !== "ready") {
        this.listState = "error";
        this.listError = e instanceof Error ? e.message : String(e);
      }
    }
    this.renderList();
    if (this.selectedId) this.renderThread();
  }

  private reloadTimer: ReturnType<typeof setTimeout> | null = null;

  private reloadSoon(): void {
    if (this.reloadTimer) return;
    this.reloadTimer = setTimeout(() => {
      this.reloadTimer = null;
      if (!this.destroyed) void this.loadConversations(true);
    }, 400);
  }

  private upsert(c: ConversationSnapshot): void {
    if (!c || !c.id) return;
    if (c.participants?.some((p) => p.role === "agent" && p.id === this.me.agent_id)) this.joined.add(c.id);
    const old = this.convs.get(c.id);
    // A list reload and live events cross: keep whichever is newer.
    if (old && isOlder(c, old)) return;
    if (old && old.preview && !c.preview) c = { ...c, preview: old.preview };
    if (old && old.preview && c.preview && toMs(old.preview.at) > toMs(c.preview.at)) c = { ...c, preview: old.preview };
    this.convs.set(c.id, c);
  }

  // ---- events ---------------------------------------------------------------

  private onEvent(ev: ServerEvent): void {
    this.lanes.onEvent(ev);
    switch (ev.type) {
      case "conversation": {
        const snap = ev.conversation;
        const old = this.convs.get(snap.id);
        // A new entry whose preview did not come along: fetch the list again
        // (debounced) rather than show an out-of-date preview.
        const stale =
          (snap.last_seq || 0) > 0 &&
          (!snap.preview || (!!old && (old.last_seq || 0) < snap.last_seq && old.preview?.at === snap.preview.at));
        this.upsert(snap);
        if (stale && !this.client.threads.has(snap.id)) this.reloadSoon();
        this.renderList();
        if (snap.id === this.selectedId) {
          this.renderThread();
          this.lanes.renderRail();
        }
        break;
      }
      case "sync":
        this.loaded.add(ev.conversation_id);
        if (ev.conversation) this.upsert(ev.conversation);
        if (ev.conversation_id === this.selectedId) this.renderThread();
        this.renderList();
        break;
      case "message": {
        const c = this.convs.get(ev.conversation_id);
        if (c && ev.kind !== "system" && ev.kind !== "note") {
          c.preview = { text: ev.text, author_role: ev.author.role, at: ev.created_at };
          c.updated_at = ev.created_at || c.updated_at;
          c.last_seq = Math.max(c.last_seq || 0, ev.seq);
          this.renderList();
        }
        break;
      }
      case "ack":
        if (ev.action === "heartbeat" && this.meStale) {
          this.meStale = false;
          void this.refreshMe();
        }
        if ((ev.action === "send" || ev.action === "note") && ev.conversation_id) {
          const t = this.client.threads.get(ev.conversation_id);
          const m = t && ev.client_id ? t.byClient.get(ev.client_id) : undefined;
          const c = this.convs.get(ev.conversation_id);
          if (c && m && m.kind === "text") {
            c.preview = { text: m.text, author_role: "agent", at: m.created_at };
            c.updated_at = m.created_at;
            this.renderList();
          }
        }
        break;
      case "presence":
        if (ev.agent && ev.agent.id === this.me.agent_id) {
          this.me.presence = { status: ev.status, reachable: ev.reachable };
          if (this.presencePending === ev.status) this.presencePending = null;
          this.renderPresence();
        }
        break;
      case "error":
        this.onError(ev.code, ev.message, ev.action, ev.conversation_id);
        break;
    }
  }

  private onError(code: string, message: string, action?: string, conversationId?: string): void {
    if (code === "session_expired") {
      void this.ensureFreshToken()
        .then(() => this.client.socket.reconnect())
        .catch(() => undefined);
      return;
    }
    if (action === "sync" || action === "heartbeat" || action === "delivered" || action === "read" || action === "typing") return;
    if (action === "join" && conversationId) this.joinSent.delete(conversationId);
    if (action === "send" || action === "note") return; // shown on the message itself
    const what =
      action === "join"
        ? "Couldn't open the conversation"
        : action === "presence"
          ? "Couldn't change your status"
          : action === "close"
            ? "Couldn't close the conversation"
            : "Something went wrong";
    this.toast(`${what}: ${message || code}`, "error");
    if (action === "presence") {
      this.presencePending = null;
      this.renderPresence();
    }
  }

  // ---- actions --------------------------------------------------------------

  private isJoined(t: Thread): boolean {
    if (this.joined.has(t.id)) return true;
    if (t.snapshot?.participants.some((p) => p.role === "agent" && p.id === this.me.agent_id)) this.joined.add(t.id);
    return this.joined.has(t.id);
  }

  private join(id: string, role?: "owner" | "helper"): void {
    const frame: Record<string, string> = { action: "join", conversation_id: id };
    if (role) frame.role = role;
    if (this.client.sendAction(frame)) this.joinSent.add(id);
  }

  private select(id: string): void {
    if (this.selectedId && this.selectedId !== id) {
      const prev = this.client.threads.get(this.selectedId);
      if (prev) this.client.stopTyping(prev);
    }
    this.selectedId = id;
    try {
      history.replaceState(null, "", `#c=${encodeURIComponent(id)}`);
    } catch {
      /* file:// or sandboxed */
    }
    const t = this.client.track(id);
    if (!t.snapshot) t.snapshot = this.convs.get(id) || null;
    if (!this.joinSent.has(id)) this.join(id);
    this.client.requestSync(t);
    this.buildThreadPane();
    this.renderThread(true);
    this.renderList();
    this.client.markRead(t);
    this.lanes.renderRail();
    this.input.focus();
  }

  private showView(v: View): void {
    this.view = v;
    this.laneBody.hidden = v !== "lane";
    this.lanes.ticketsView.hidden = v !== "tickets";
    this.lanes.commandView.hidden = v !== "command";
    for (const b of Array.from(this.viewNav.querySelectorAll("button"))) {
      const on = b.getAttribute("data-view") === v;
      b.classList.toggle("active", on);
      b.setAttribute("aria-current", on ? "page" : "false");
    }
    this.lanes.setView(v);
  }

  private closeConversation(id: string): void {
    if (!this.client.sendAction({ action: "close", conversation_id: id, request_id: `close-${id.slice(0, 40)}` })) {
      this.toast("You're offline: close the conversation once the connection is back.", "warn");
    }
  }

  private renderMode(): void {
    if (!this.modeEl) return;
    const mode = this.lanes.state.mode;
    this.modeEl.setAttribute("data-mode", mode || "");
    this.modeEl.textContent = "";
    this.modeEl.append("Mode: ", h("strong", null, mode ? MODE_LABEL[mode] || mode : "…"));
    this.modeEl.title = this.lanes.state.modeBy ? `Set by ${this.lanes.state.modeBy}` : "The hub's mode";
  }

  private submit(): void {
    const id = this.selectedId;
    if (!id) return;
    const text = this.input.value.trim();
    if (!text || text.length > MAX_TEXT) return;
    const t = this.client.track(id);
    this.client.send(t, text, this.noteMode ? "note" : "text");
    this.input.value = "";
    this.onInput();
    this.renderThread(true);
  }

  private onInput(): void {
    const el = this.input;
    el.style.height = "auto";
    el.style.height = `${Math.min(180, el.scrollHeight)}px`;
    const len = el.value.length;
    const over = len > MAX_TEXT;
    this.sendBtn.disabled = !el.value.trim() || over;
    this.hint.textContent = over
      ? `${len - MAX_TEXT} characters over the 4,000 limit`
      : len > MAX_TEXT - 500
        ? `${MAX_TEXT - len} characters left`
        : this.noteMode
          ? "Internal note: only agents see this · Enter to add"
          : "Enter to send · Shift+Enter for a new line";
    this.hint.classList.toggle("over", over);
    const t = this.selectedId ? this.client.threads.get(this.selectedId) : undefined;
    if (!t) return;
    if (el.value.trim()) this.client.userTyping(t, this.noteMode);
    else this.client.stopTyping(t);
  }

  private setNoteMode(on: boolean): void {
    const t = this.selectedId ? this.client.threads.get(this.selectedId) : undefined;
    if (t && this.noteMode !== on) this.client.stopTyping(t);
    this.noteMode = on;
    this.noteBtn.setAttribute("aria-pressed", String(on));
    this.composer.classList.toggle("note-mode", on);
    const mode = this.composer.querySelector(".mode-label");
    if (mode) mode.textContent = on ? "Internal note · agents only" : "Reply to customer";
    this.input.placeholder = on ? "Write an internal note (only agents can see it)…" : "Write a reply…";
    this.input.setAttribute("aria-label", on ? "Internal note" : "Reply to the customer");
    this.sendBtn.lastChild!.textContent = on ? "Add note" : "Send";
    this.onInput();
  }

  private setPresence(status: PresenceStatus): void {
    if (!this.client.sendAction({ action: "presence", status })) {
      this.toast("You're offline: your status changes when the connection is back.", "warn");
    }
    this.presencePending = status;
    this.me.presence = { ...this.me.presence, status };
    this.renderPresence();
  }

  // ---- layout ---------------------------------------------------------------

  private splash(text: string): void {
    clear(this.root);
    this.root.appendChild(h("div", { className: "splash", role: "status" }, h("div", { className: "spinner", "aria-hidden": "true" }), h("p", null, text)));
  }

  private fatal(title: string, detail: string): void {
    clear(this.root);
    this.root.appendChild(
      h(
        "div",
        { className: "splash", role: "alert" },
        icon(ICONS.alert, 32, "icon big"),
        h("h1", null, title),
        h("p", { className: "muted" }, detail),
        h(
          "div",
          { className: "row" },
          h("button", { className: "btn primary", type: "button", onClick: () => void this.start() }, "Try again"),
          h("button", { className: "btn", type: "button", onClick: () => this.hooks.signOut() }, "Sign out"),
        ),
      ),
    );
  }

  private buildShell(): void {
    clear(this.root);
    this.connEl = h("div", { className: "conn", "data-testid": "connection-state", role: "status", "data-state": "connecting" });
    this.reachDot = h("span", { className: "reach", "data-testid": "reachable-dot", role: "img" });
    this.presenceSel = h(
      "select",
      {
        "data-testid": "presence-select",
        "aria-label": "Your status",
        onChange: () => this.setPresence(this.presenceSel.value as PresenceStatus),
      },
      ...(["available", "busy", "away", "offline"] as PresenceStatus[]).map((s) => h("option", { value: s }, PRESENCE_LABEL[s])),
    );
    const header = h(
      "header",
      { className: "topbar" },
      h(
        "div",
        { className: "brand" },
        h("span", { className: "logo", "aria-hidden": "true" }, icon(ICONS.chat, 18)),
        h("div", null, h("div", { className: "brand-name" }, "Flow Conversation Live Hub"), h("div", { className: "brand-sub" }, "Live chat, presence and delivery")),
      ),
      h("span", { className: "chip", "data-testid": "tenant" }, "Tenant: ", h("strong", null, this.me.tenant)),
      (this.modeEl = h("button", { className: "chip mode", type: "button", "data-testid": "hub-mode", onClick: () => this.showView("command") })),
      h("div", { className: "spacer" }),
      this.connEl,
      h("label", { className: "presence" }, this.reachDot, h("span", { className: "sr" }, "Status"), this.presenceSel),
      h(
        "div",
        { className: "me" },
        h("span", { className: "avatar small", "aria-hidden": "true" }, initials(this.me.name || this.tokens.username)),
        h("span", { className: "me-name", "data-testid": "agent-name" }, this.me.name || this.tokens.username),
      ),
      h(
        "button",
        { className: "icon-btn", type: "button", title: "Sign out", "aria-label": "Sign out", onClick: () => this.hooks.signOut() },
        icon(ICONS.logout, 18),
      ),
    );

    this.countEl = h("span", { className: "count" });
    this.tabs = h("div", { className: "tabs", role: "group", "aria-label": "Filter conversations" });
    this.listEl = h("ul", { className: "list", "aria-label": "Conversations" });
    this.listWrap = h("div", { className: "list-wrap" });
    const sidebar = h(
      "aside",
      { className: "sidebar" },
      h("div", { className: "side-head" }, h("h2", null, "Conversations"), this.countEl),
      this.tabs,
      this.listWrap,
    );
    this.threadPane = h("main", { className: "thread", "aria-label": "Conversation" });
    this.toasts = h("div", { className: "toasts", "aria-live": "polite" });
    this.lanes.build();
    const nav = (v: View, label: string, ic: string[]) =>
      h("button", { type: "button", className: `vtab${v === this.view ? " active" : ""}`, "data-view": v, "data-testid": `view-${v}`, onClick: () => this.showView(v) }, icon(ic, 16), label);
    this.viewNav = h(
      "nav",
      { className: "views", "aria-label": "Views" },
      nav("lane", "Live lane", ICONS.chat),
      nav("tickets", "Tickets", ["M4 7a2 2 0 0 0 2-2h12a2 2 0 0 0 2 2v3a2 2 0 0 0 0 4v3a2 2 0 0 0-2 2H6a2 2 0 0 0-2-2v-3a2 2 0 0 0 0-4z"]),
      nav("command", "Support command", ["M12 14l4-4", "M3.5 18a9 9 0 1 1 17 0"]),
    );
    this.laneBody = h("div", { className: "body" }, sidebar, this.threadPane, this.lanes.rail);
    this.root.appendChild(
      h(
        "div",
        { className: "app" },
        header,
        h("div", { className: "subbar" }, this.lanes.strip, this.viewNav),
        h("div", { className: "views-body" }, this.laneBody, this.lanes.ticketsView, this.lanes.commandView),
        this.toasts,
      ),
    );
    this.renderMode();
    this.renderConn();
    this.renderPresence();
    this.renderList();
    this.renderEmptyThread();
  }

  private buildThreadPane(): void {
    if (this.threadPane.querySelector(".composer")) return;
    clear(this.threadPane);
    this.threadHead = h("header", { className: "thread-head" });
    this.threadBanner = h("div", { className: "banner", hidden: true, role: "status" });
    this.msgList = h("ol", { className: "messages", role: "log", "aria-live": "polite", "aria-label": "Messages", tabindex: "0" });
    this.msgState = h("div", { className: "thread-state" });
    this.typingEl = h("div", { className: "typing", "data-testid": "typing-indicator", "aria-live": "polite" });
    this.input = h("textarea", {
      rows: "2",
      "data-testid": "composer-input",
      "aria-label": "Reply to the customer",
      placeholder: "Write a reply…",
      onInput: () => this.onInput(),
      onKeydown: (e: KeyboardEvent) => {
        if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
          e.preventDefault();
          this.submit();
        }
      },
    });
    this.noteBtn = h(
      "button",
      {
        className: "note-toggle",
        type: "button",
        "data-testid": "note-toggle",
        "aria-pressed": "false",
        title: "Internal notes are visible to agents only",
        onClick: () => {
          this.setNoteMode(!this.noteMode);
          this.input.focus();
        },
      },
      icon(ICONS.note, 16),
      "Internal note",
    );
    this.sendBtn = h("button", { className: "btn primary send", type: "submit", "data-testid": "composer-send", disabled: true }, icon(ICONS.send, 16), h("span", null, "Send"));
    this.hint = h("div", { className: "hint" });
    this.composer = h(
      "form",
      {
        className: "composer",
        onSubmit: (e: Event) => {
          e.preventDefault();
          this.submit();
        },
      },
      h("div", { className: "composer-tools" }, h("span", { className: "mode-label" }, "Reply"), this.noteBtn),
      this.input,
      h("div", { className: "composer-foot" }, this.hint, this.sendBtn),
    );
    const body = h("div", { className: "thread-body" }, this.msgList, this.msgState);
    append(this.threadPane, this.threadHead, this.threadBanner, body, this.typingEl, this.composer);
    this.setNoteMode(this.noteMode);
  }

  // ---- rendering ------------------------------------------------------------

  private renderConn(): void {
    if (!this.connEl) return;
    this.connEl.setAttribute("data-state", this.conn);
    this.connEl.textContent = "";
    this.connEl.append(h("span", { className: "dot", "aria-hidden": "true" }), CONN_LABEL[this.conn]);
    this.renderPresence();
    if (this.selectedId) this.renderBanner();
  }

  private renderPresence(): void {
    if (!this.presenceSel || !this.me) return;
    const p = this.me.presence || { status: "offline", reachable: false };
    this.presenceSel.value = p.status;
    this.presenceSel.setAttribute("data-status", p.status);
    const reachable = !!p.reachable && this.conn === "open";
    this.reachDot.className = `reach ${reachable ? "on" : "off"} status-${p.status}`;
    const label = reachable ? "Reachable: connected, heartbeats arriving" : "Not reachable: no live connection";
    this.reachDot.setAttribute("title", label);
    this.reachDot.setAttribute("aria-label", label);
  }

  private visibleConvs(): ConversationSnapshot[] {
    const all = Array.from(this.convs.values());
    const me = this.me.agent_id;
    const f = this.filter;
    return all
      .filter((c) => (f === "unassigned" ? !c.owner && !idle(c) : f === "mine" ? c.owner?.id === me : true))
      .sort((a, b) => activity(b) - activity(a));
  }

  private unread(c: ConversationSnapshot): number {
    const t = this.client?.threads.get(c.id);
    if (t && this.loaded.has(c.id)) {
      let n = 0;
      for (const m of t.bySeq.values()) if (!m.own && m.author.role === "customer" && (m.seq ?? 0) > t.readSent) n++;
      return n;
    }
    if (!c.preview || c.preview.author_role !== "customer") return 0;
    const mine = c.participants?.find((p) => p.role === "agent" && p.id === this.me.agent_id);
    return Math.max(0, (c.last_seq || 0) - (mine?.read_seq || 0));
  }

  private renderList(): void {
    if (!this.listWrap) return;
    const all = Array.from(this.convs.values());
    const counts: Record<Filter, number> = {
      all: all.length,
      unassigned: all.filter((c) => !c.owner && c.status !== "closed" && !idle(c)).length,
      mine: all.filter((c) => c.owner?.id === this.me.agent_id).length,
    };
    this.countEl.textContent = this.listState === "ready" ? String(all.length) : "";
    clear(this.tabs);
    for (const [f, label] of [
      ["all", "All"],
      ["unassigned", "Unassigned"],
      ["mine", "Mine"],
    ] as [Filter, string][]) {
      this.tabs.appendChild(
        h(
          "button",
          {
            type: "button",
            className: `tab${this.filter === f ? " active" : ""}`,
            "aria-pressed": String(this.filter === f),
            onClick: () => {
              this.filter = f;
              this.renderList();
            },
          },
          label,
          h("span", { className: "tab-count" }, String(counts[f])),
        ),
      );
    }

    if (this.listState === "loading" && !this.convs.size) {
      this.showListState(
        h(
          "div",
          { className: "skeletons", "aria-busy": "true", "aria-label": "Loading conversations" },
          ...[0, 1, 2, 3].map(() => h("div", { className: "skeleton" }, h("i"), h("b"), h("b", { className: "short" }))),
        ),
      );
      return;
    }
    if (this.listState === "error" && !this.convs.size) {
      this.showListState(
        h(
          "div",
          { className: "empty error", role: "alert" },
          icon(ICONS.alert, 28, "icon big"),
          h("p", { className: "empty-title" }, "Couldn't load conversations"),
          h("p", { className: "muted" }, this.listError),
          h("button", { className: "btn", type: "button", onClick: () => void this.loadConversations() }, "Try again"),
        ),
      );
      return;
    }
    const items = this.visibleConvs();
    if (!items.length) {
      const text =
        this.filter === "all"
          ? ["No conversations yet", "New chats from the website widget appear here as soon as a customer starts one."]
          : this.filter === "mine"
            ? ["Nothing assigned to you", "Open a conversation to take it: the first agent to join becomes its owner."]
            : ["Every conversation has an owner", "Unassigned chats show up here the moment a customer writes."];
      this.showListState(h("div", { className: "empty" }, icon(ICONS.inbox, 28, "icon big"), h("p", { className: "empty-title" }, text[0]), h("p", { className: "muted" }, text[1])));
      return;
    }
    if (this.listEl.parentNode !== this.listWrap) {
      clear(this.listWrap);
      this.listWrap.appendChild(this.listEl);
    }
    const now = Date.now();
    reconcile(
      this.listEl,
      items,
      (c) => c.id,
      (c) =>
        [c.id === this.selectedId, c.status, c.owner?.id, c.owner?.name, c.customer?.name, c.preview?.text, c.preview?.at, formatAgo(activity(c), now), this.unread(c)].join("|"),
      (c) => this.renderItem(c, now),
    );
  }

  private showListState(el: HTMLElement): void {
    clear(this.listWrap);
    this.listWrap.appendChild(el);
  }

  private renderItem(c: ConversationSnapshot, now: number): HTMLLIElement {
    const unread = this.unread(c);
    const selected = c.id === this.selectedId;
    const name = c.customer?.name || "Visitor";
    // Many customers are just "Visitor": a short id tells them apart.
    const tail = !c.customer?.name || /^visitor$/i.test(c.customer.name) ? (c.customer?.id || c.id).slice(-4) : "";
    const p = c.preview;
    const prefix = p && p.author_role === "agent" ? "Agent: " : "";
    const owner = c.owner ? (c.owner.id === this.me.agent_id ? "You" : c.owner.name) : null;
    const btn = h(
      "button",
      {
        type: "button",
        className: `item${selected ? " selected" : ""}${unread ? " unread" : ""}${c.status === "closed" ? " closed" : ""}${idle(c) ? " idle" : ""}`,
        "data-testid": "conversation-item",
        "data-conversation-id": c.id,
        "aria-current": selected ? "true" : null,
        onClick: () => this.select(c.id),
      },
      h("span", { className: "avatar", "aria-hidden": "true" }, initials(name)),
      h(
        "span",
        { className: "item-main" },
        h("span", { className: "item-top" }, h("span", { className: "item-name" }, name, tail ? h("span", { className: "item-id" }, ` · ${tail}`) : null), h("time", { className: "item-time", datetime: String(activity(c)) }, formatAgo(activity(c), now))),
        h("span", { className: "item-preview" }, p ? prefix + p.text : "Opened the chat, no message yet"),
        h(
          "span",
          { className: "item-bottom" },
          owner
            ? h("span", { className: "owner" }, "Owner: ", owner)
            : idle(c)
              ? h("span", { className: "owner" }, "Waiting for a first message")
              : h("span", { className: "owner none" }, "Unassigned"),
          c.status === "closed" ? h("span", { className: "closed-tag" }, "Closed") : null,
          unread ? h("span", { className: "unread-badge", "aria-label": `${unread} unread` }, unread > 99 ? "99+" : String(unread)) : null,
        ),
      ),
    );
    return h("li", null, btn);
  }

  private renderEmptyThread(): void {
    clear(this.threadPane);
    this.threadPane.appendChild(
      h(
        "div",
        { className: "thread-empty" },
        h("div", { className: "empty-art", "aria-hidden": "true" }, icon(ICONS.chat, 36)),
        h("h2", null, "Pick a conversation"),
        h("p", { className: "muted" }, "Choose a chat on the left to read the thread and reply. Typing, delivery and read state stay visible in the thread."),
      ),
    );
  }

  private renderBanner(): void {
    if (!this.threadBanner) return;
    const show = this.conn === "reconnecting" || this.conn === "stopped";
    this.threadBanner.hidden = !show;
    this.threadBanner.textContent = "";
    if (show) {
      this.threadBanner.append(
        icon(ICONS.alert, 16),
        h("span", null, "Reconnecting… Messages you send now go out as soon as the connection is back."),
        h("button", { className: "link", type: "button", onClick: () => this.client.socket.reconnectNow() }, "Retry now"),
      );
    }
  }

  private renderThread(forceScroll = false): void {
    const id = this.selectedId;
    if (!id || !this.msgList) return;
    const t = this.client.threads.get(id);
    if (!t) return;
    const c = this.convs.get(id) || t.snapshot;
    this.renderThreadHead(c, t);
    this.renderBanner();

    const stick = forceScroll || nearBottom(this.msgList.parentElement as HTMLElement);
    const msgs = t.messages();
    let lastOwn = "";
    for (const m of msgs) if (m.own && m.kind === "text") lastOwn = m.key;
    type Item = { m: ChatMessage; state?: DeliveryState; last: boolean };
    const items: Item[] = msgs.map((m) => ({ m, state: this.client.stateOf(m, t), last: m.key === lastOwn }));
    reconcile(
      this.msgList,
      items,
      (it) => it.m.key,
      (it) => `${it.m.seq}|${it.state}|${it.last}|${it.m.author.name}|${it.m.error || ""}`,
      (it) => this.renderMessage(it.m, it.state, it.last, t),
    );
    clear(this.msgState);
    if (!msgs.length) {
      this.msgState.appendChild(
        this.loaded.has(id)
          ? h("div", { className: "empty small" }, h("p", { className: "empty-title" }, "No messages yet"), h("p", { className: "muted" }, "Say hello: the customer sees your reply instantly."))
          : h("div", { className: "empty small", "aria-busy": "true" }, h("div", { className: "spinner", "aria-hidden": "true" }), h("p", { className: "muted" }, "Loading conversation…")),
      );
    }
    const scroller = this.msgList.parentElement as HTMLElement;
    if (stick) scroller.scrollTop = scroller.scrollHeight;

    // Typing indicator: the customer, and colleagues writing notes.
    const typers = t.typers();
    this.typingEl.textContent = "";
    if (typers.length) {
      const parts = typers.map((x) =>
        x.by.role === "customer" ? `${x.by.name || "Customer"} is typing…` : `${x.by.name || "An agent"} is ${x.note ? "writing an internal note" : "typing"}…`,
      );
      this.typingEl.append(h("span", { className: "dots", "aria-hidden": "true" }, h("i"), h("i"), h("i")), parts.join(" · "));
      this.typingEl.classList.add("on");
    } else {
      this.typingEl.classList.remove("on");
    }

    const closed = c?.status === "closed";
    this.input.disabled = closed;
    if (closed) this.hint.textContent = "This conversation is closed.";
  }

  private renderThreadHead(c: ConversationSnapshot | null | undefined, t: Thread): void {
    clear(this.threadHead);
    const name = c?.customer?.name || "Visitor";
    const agents = (c?.participants || []).filter((p) => p.role === "agent");
    const ownerIsMe = c?.owner?.id === this.me.agent_id;
    append(
      this.threadHead,
      h("span", { className: "avatar", "aria-hidden": "true" }, initials(name)),
      h(
        "div",
        { className: "head-main" },
        h("h2", { "data-testid": "thread-title" }, name),
        h(
          "div",
          { className: "head-meta" },
          h("span", { className: `status-chip ${c?.status || "open"}` }, c?.status === "closed" ? "Closed" : "Open"),
          h("span", null, c?.owner ? `Owner: ${ownerIsMe ? "You" : c.owner.name}` : "Unassigned"),
          agents.filter((a) => a.agent_role === "helper").length
            ? h("span", null, `Helpers: ${agents.filter((a) => a.agent_role === "helper").map((a) => (a.id === this.me.agent_id ? "You" : a.name)).join(", ")}`)
            : null,
          h("span", { className: "muted" }, `#${(c?.id || t.id).slice(0, 8)}`),
        ),
      ),
      c && c.owner && !ownerIsMe && c.status !== "closed"
        ? h("button", { className: "btn", type: "button", onClick: () => this.join(c.id, "owner") }, "Take ownership")
        : null,
      c && c.status !== "closed"
        ? h(
            "button",
            { className: "btn", type: "button", "data-testid": "close-conversation", title: "Close: it leaves the active chats, the thread stays", onClick: () => this.closeConversation(c.id) },
            icon(ICONS.check, 15),
            "Close",
          )
        : null,
    );
  }

  private renderMessage(m: ChatMessage, state: DeliveryState | undefined, lastOwn: boolean, t: Thread): HTMLLIElement {
    const kind = m.kind === "system" || m.author.role === "system" ? "system" : m.kind === "note" ? "note" : m.author.role === "customer" ? "customer" : "agent";
    const li = h("li", {
      className: `tmsg ${kind}${m.own ? " own" : ""}`,
      "data-testid": "thread-message",
      "data-seq": m.seq ?? "",
      "data-state": state ?? null,
      "data-kind": m.kind,
    });
    if (kind === "system") {
      const line = h("div", { className: "sys" });
      renderText(line, m.text);
      const time = formatTime(m.created_at);
      if (time) line.append(" · ", h("time", { datetime: m.created_at }, time));
      li.appendChild(line);
      return li;
    }
    const author = m.own ? "You" : m.author.name || (m.author.role === "customer" ? "Customer" : "Agent");
    li.appendChild(
      h(
        "div",
        { className: "line" },
        h("span", { className: "author" }, author),
        kind === "note" ? h("span", { className: "tag note-tag" }, "Internal note") : kind === "customer" ? h("span", { className: "tag" }, "Customer") : null,
        h("time", { datetime: m.created_at }, formatTime(m.created_at)),
      ),
    );
    const bubble = h("div", { className: "bubble" });
    renderText(bubble, m.text);
    li.appendChild(bubble);
    if (m.own && state) {
      const showLabel = lastOwn || !["sent", "delivered", "read"].includes(state) || kind === "note";
      const ic = state === "read" || state === "delivered" ? ICONS.checks : state === "sending" ? ICONS.clock : state === "retry" || state === "failed" ? ICONS.alert : ICONS.check;
      const meta = h("div", { className: "meta" });
      meta.appendChild(
        h(
          "span",
          { className: "state", "data-state": state, title: STATE_LABEL[state] },
          icon(ic, 14),
          showLabel ? STATE_LABEL[state] : h("span", { className: "sr" }, STATE_LABEL[state]),
        ),
      );
      if (m.error) meta.appendChild(h("span", { className: "err" }, m.error));
      if (state === "retry" || state === "failed") {
        meta.appendChild(
          h(
            "button",
            { className: "link retry", type: "button", "data-testid": "retry", onClick: () => this.client.retry(t, m.client_id) },
            icon(ICONS.retry, 13),
            "Retry",
          ),
        );
      }
      li.appendChild(meta);
    }
    return li;
  }

  private toast(text: string, kind: "error" | "warn" | "info" = "info"): void {
    const el = h("div", { className: `toast ${kind}`, role: kind === "error" ? "alert" : "status" }, text);
    this.toasts.appendChild(el);
    setTimeout(() => el.remove(), 6_000);
  }
}

/** A conversation the customer opened but has not written in yet. */
function idle(c: ConversationSnapshot): boolean {
  return !c.preview && (c.last_seq || 0) === 0;
}

function activity(c: ConversationSnapshot): number {
  const a = toMs(c.preview?.at);
  const b = toMs(c.updated_at);
  return Math.max(isFinite(a) ? a : 0, isFinite(b) ? b : 0);
}

function append(parent: Node, ...children: (Node | null)[]): void {
  for (const c of children) if (c) parent.appendChild(c);
}

// The dashboard's actions: everything that changes the store besides the
// socket event map. It owns the chat core (one ChatClient), talks REST through
// the Session, and carries out the notification rules. Components call these
// methods and render from `store.state`; they never change the state directly.

import { isAuthFailure } from "../shared/api";
import { ChatClient, type Thread } from "../shared/chat";
import { MAX_TEXT, type ConversationSnapshot, type Person, type PresenceStatus, type ServerEvent } from "../shared/types";
import { storageGet, storageSet } from "../shared/util";
import { askPermission, currentPermission, showDesktop } from "./notify/desktop";
import { alertFor, type Alert } from "./notify/rules";
import { chime, unlockAudio } from "./notify/sound";
import type { Session } from "./session";
import { applyEvent, upsertConversation } from "./store/events";
import {
  attention,
  heardPresence,
  inLobby,
  initialState,
  isMine,
  nextUnread,
  settlePresence,
  titleFor,
  type AgentState,
  type Me,
  type View,
} from "./store/state";
import { Store } from "./store/store";
import { Desk } from "./desk";
import { WorkLanes } from "./work-lanes";

/** How many conversations the dashboard follows live (mine and the lobby's), at most. */
const FOLLOW_LIMIT = 50;

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function muteKey(agentId: string): string {
  return `flowhub.agent.${agentId}.muted`;
}

export class Workspace {
  readonly store: Store<AgentState>;
  readonly client: ChatClient;
  /** Callbacks, tickets, counters, hub mode: the work lanes beside the live lane. */
  readonly lanes: WorkLanes;
  /** Canned replies, business hours, search and the customer panel. */
  readonly desk: Desk;
  private timers: ReturnType<typeof setInterval>[] = [];
  private destroyed = false;
  private joinSent = new Set<string>();
  private followed = new Set<string>();
  private meStale = false;
  // The status change the hub has not answered yet. Each frame of a connection runs in its own
  // Lambda invocation, so two changes sent back to back (away, then available) can be stored in
  // either order: the next one goes only once the hub has acknowledged this one.
  private presenceInFlight: PresenceStatus | null = null;
  private presenceStored: PresenceStatus | null = null; // the last change the hub acknowledged
  private reloadTimer: ReturnType<typeof setTimeout> | null = null;
  private toastSeq = 0;
  /** Alerts already given (an event arriving twice notifies once). */
  private alerted = new Set<string>();
  private onGesture = () => unlockAudio();
  private onVisible = () => {
    this.seen();
    this.lanes.hubSoon();
  };

  constructor(
    readonly session: Session,
    me: Me,
    private hooks: { signOut(message?: string): void },
  ) {
    this.client = new ChatClient({
      me: (): Person => ({ role: "agent", id: this.state.me.agent_id, name: this.state.me.name }),
      url: () => this.session.wsUrl(),
      onOpen: (resumed) => this.onOpen(resumed),
      onRefused: () => this.onRefused(),
      onEvent: (ev) => this.onEvent(ev),
      onChange: () => this.store.changed(),
      onConnState: (conn) => this.store.set({ conn }),
      isVisible: (id) => id === this.state.selectedId && this.state.view === "lane" && document.visibilityState === "visible",
      // Writing into a conversation one is not part of is an explicit act: it helps (never owns).
      onNotJoined: (id) => this.join(id),
      canReceipt: (t) => this.isJoined(t),
    });
    const muted = storageGet<boolean>("local", muteKey(me.agent_id)) === true;
    this.store = new Store(initialState(me, this.client.threads, muted, currentPermission()));
    this.lanes = new WorkLanes(this);
    this.desk = new Desk(this);
    // The tab title follows the store, whether or not the page is rendering.
    this.store.subscribe(() => {
      const title = titleFor(attention(this.state));
      if (document.title !== title) document.title = title;
    });
  }

  get state(): AgentState {
    return this.store.state;
  }

  // ---- lifecycle ------------------------------------------------------------

  start(): void {
    document.title = titleFor(0);
    this.client.start();
    void this.loadConversations();
    void this.lanes.loadAll();
    void this.desk.loadCanned();
    // Relative times ("5m", "due in 3 min") move on their own.
    this.timers.push(setInterval(() => this.store.set({ now: Date.now() }), 20_000));
    // The hub's own figures (pressure, next move, launch) are re-read only while they are on
    // screen: every open dashboard polling GET /hub was ~1,000 requests a minute per 500 agents.
    this.timers.push(setInterval(() => this.hubOnScreen() && void this.lanes.loadHub(true), 30_000));
    window.addEventListener("pointerdown", this.onGesture, true);
    window.addEventListener("keydown", this.onGesture, true);
    document.addEventListener("visibilitychange", this.onVisible);
    window.addEventListener("focus", this.onVisible);
    const fromHash = new URLSearchParams(location.hash.slice(1)).get("c");
    if (fromHash) this.select(fromHash);
  }

  destroy(): void {
    this.destroyed = true;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    if (this.reloadTimer) clearTimeout(this.reloadTimer);
    this.lanes.destroy();
    this.desk.destroy();
    window.removeEventListener("pointerdown", this.onGesture, true);
    window.removeEventListener("keydown", this.onGesture, true);
    document.removeEventListener("visibilitychange", this.onVisible);
    window.removeEventListener("focus", this.onVisible);
    this.client.stop();
  }

  signOut(): void {
    this.hooks.signOut();
  }

  api<T>(path: string, opts: { method?: string; body?: unknown } = {}): Promise<T> {
    return this.session.api<T>(path, opts);
  }

  /** The socket was refused before opening: is our token still accepted? */
  private async onRefused(): Promise<boolean> {
    if (this.destroyed) return false;
    try {
      await this.api<Me>("/me");
    } catch (e) {
      if (isAuthFailure(e) || this.destroyed) return false;
    }
    return true; // the hub is just unreachable: keep trying with backoff
  }

  private onOpen(resumed: boolean): void {
    // The hub records our presence at connect but cannot tell this very
    // connection; once our first heartbeat is acknowledged, re-read /me.
    this.meStale = true;
    this.client.sendAction({ action: "heartbeat" });
    // A change in flight on the old socket may or may not have been stored: send what is wanted.
    this.presenceInFlight = this.presenceStored = null;
    this.sendPendingPresence();
    // What was read before this socket opened can have missed events sent before it connected
    // (a chat that started between the first read and the connection reached no socket of ours;
    // after a reconnect, anything while we were away): read the lists again, quietly.
    void this.loadConversations(true);
    void this.lanes.loadAll(true);
    if (resumed) void this.desk.loadCanned();
  }

  /** The hub stored our status change (its `presence` event, posted first, has reached us):
   *  send the next one, if one was chosen meanwhile; otherwise show what the hub holds, ours
   *  unless another tab's change was stored after it. */
  presenceAnswered(): void {
    const answered = this.presenceInFlight;
    this.presenceInFlight = null;
    const held = answered !== null && this.state.presenceHub.status === answered;
    this.presenceStored = held ? answered : null;
    if (this.state.presencePending === answered) this.store.update(settlePresence);
    else this.sendPendingPresence();
    // Another window's change stored after ours, or our own event lost on the way: ask the hub.
    if (!held) void this.refreshMe();
  }

  /** A `presence` event of ours: the hub's stored status may have moved (another tab of ours),
   *  so what we last stored is no longer known to be there. */
  presenceHeard(status: PresenceStatus): void {
    if (status !== this.presenceStored) this.presenceStored = null;
  }

  /** Sends the wanted status unless one is in flight or the hub already stored it; false when
   *  the socket is down (onOpen sends it). */
  private sendPendingPresence(): boolean {
    const pending = this.state.presencePending;
    if (!pending || this.presenceInFlight || pending === this.presenceStored) return true;
    if (!this.client.sendAction({ action: "presence", status: pending })) return false;
    this.presenceInFlight = pending;
    return true;
  }

  heartbeatAcked(): void {
    if (!this.meStale) return;
    this.meStale = false;
    void this.refreshMe();
  }

  private async refreshMe(): Promise<void> {
    try {
      const me = await this.api<Me>("/me");
      if (this.destroyed) return;
      this.store.update((s) => {
        s.me = { ...s.me, ...me, presence: s.me.presence };
        heardPresence(s, me.presence); // unless an event told us of a newer change already
        s.agents.set(me.agent_id, me.name);
      });
    } catch {
      /* an auth failure signs out in Session; otherwise the next heartbeat tries again */
    }
  }

  // ---- conversations ---------------------------------------------------------

  async loadConversations(quiet = false): Promise<void> {
    if (!quiet) this.store.set({ listLoad: "loading" });
    try {
      const r = await this.api<{ conversations: ConversationSnapshot[] }>("/conversations");
      this.store.update((s) => {
        for (const c of r.conversations || []) upsertConversation(s, c);
        s.listLoad = "ready";
      });
      this.follow(r.conversations || []);
    } catch (e) {
      if (isAuthFailure(e)) return;
      this.store.update((s) => {
        if (!quiet || s.listLoad !== "ready") {
          s.listLoad = "error";
          s.listError = message(e);
        }
      });
    }
  }

  reloadSoon(): void {
    if (this.reloadTimer) return;
    this.reloadTimer = setTimeout(() => {
      this.reloadTimer = null;
      if (!this.destroyed) void this.loadConversations(true);
    }, 400);
  }

  /**
   * Follows open conversations that are mine or waiting in the lobby: their
   * threads load and stay subscribed, so a customer's reply or a colleague's
   * mention arrives live (notifications) and unread counts are exact.
   */
  follow(convs: ConversationSnapshot[]): void {
    for (const c of convs) {
      if (!c?.id || this.followed.has(c.id) || this.followed.size >= FOLLOW_LIMIT) continue;
      const snap = this.state.convs.get(c.id) || c;
      if (snap.status === "closed" || !(isMine(this.state, snap) || inLobby(snap))) continue;
      this.followed.add(c.id);
      const t = this.client.track(c.id);
      if (!t.snapshot) t.snapshot = snap;
      this.client.requestSync(t);
    }
  }

  private onEvent(ev: ServerEvent): void {
    const alert = alertFor(this.state, ev, document.visibilityState === "visible");
    applyEvent(this, ev);
    if (alert) this.notify(alert);
  }

  onError(code: string, text: string, action?: string, conversationId?: string): void {
    if (code === "session_expired") {
      void this.session
        .ensureFreshToken()
        .then(() => this.client.socket.reconnect())
        .catch(() => undefined);
      return;
    }
    if (action === "sync" || action === "heartbeat" || action === "delivered" || action === "read" || action === "typing") return;
    if (action === "join" && conversationId) this.joinSent.delete(conversationId);
    if (action === "send" || action === "note") return; // shown on the message itself
    if ((action === "take" || action === "assign") && (code === "conflict" || code === "at_capacity")) {
      void this.loadConversations(true); // someone else was quicker: show who owns it now
      return this.toast(text, "warn");
    }
    const what =
      action === "join"
        ? "Couldn't join the conversation"
        : action === "take"
          ? "Couldn't take the conversation"
          : action === "assign"
            ? "Couldn't assign the conversation"
            : action === "presence"
          ? "Couldn't change your status"
          : action === "close"
            ? "Couldn't close the conversation"
            : "Something went wrong";
    this.toast(`${what}: ${text || code}`, "error");
    if (action === "presence") {
      this.presenceInFlight = this.presenceStored = null;
      this.store.update(settlePresence);
    }
  }

  isJoined(t: Thread): boolean {
    const s = this.state;
    if (s.joined.has(t.id)) return true;
    if (t.snapshot?.participants.some((p) => p.role === "agent" && p.id === s.me.agent_id)) s.joined.add(t.id);
    return s.joined.has(t.id);
  }

  /** Helps in a conversation (the `join` action: a helper, never its owner). */
  join(id: string): void {
    if (this.joinSent.has(id)) return;
    if (this.client.sendAction({ action: "join", conversation_id: id })) this.joinSent.add(id);
  }

  /**
   * Takes ownership of a conversation (keyboard `a`): the `take` action names the owner I see,
   * so when a colleague took it a moment ago the hub refuses and says who ("conflict").
   */
  takeOwnership(id?: string): void {
    const s = this.state;
    const cid = id || s.selectedId;
    const c = cid ? s.convs.get(cid) : undefined;
    if (!c) return this.toast("Open a conversation first.", "info");
    if (c.status === "closed") return this.toast("This conversation is closed.", "info");
    if (c.owner?.id === s.me.agent_id) return this.toast("You already own this conversation.", "info");
    this.client.sendAction({ action: "take", conversation_id: c.id, expect_owner: c.owner?.id ?? null, request_id: `take-${c.id.slice(0, 40)}` });
  }

  /** Assigns a conversation to a colleague (from the directory of the tenant's agents). */
  assignTo(id: string, agentId: string): void {
    const c = this.state.convs.get(id);
    if (!c || c.status === "closed" || c.owner?.id === agentId) return;
    this.client.sendAction({ action: "assign", conversation_id: id, agent_id: agentId, expect_owner: c.owner?.id ?? null });
  }

  /** Opens a conversation; a click also puts the focus in the composer, keyboard navigation does not. */
  select(id: string, focusComposer = true): void {
    const s = this.state;
    if (s.selectedId && s.selectedId !== id) {
      const prev = this.client.threads.get(s.selectedId);
      if (prev) this.client.stopTyping(prev);
    }
    try {
      history.replaceState(null, "", `#c=${encodeURIComponent(id)}`);
    } catch {
      /* file:// or sandboxed */
    }
    const t = this.client.track(id);
    if (!t.snapshot) t.snapshot = s.convs.get(id) || null;
    this.followed.add(id);
    this.store.update((st) => {
      st.selectedId = id;
      st.view = "lane";
      st.mentions.delete(id);
    });
    // Reading is reading: opening a thread syncs (and follows) it, and tells nobody anything.
    this.client.requestSync(t);
    this.client.markRead(t);
    if (focusComposer) this.focus("composer");
  }

  /** Moves to the next conversation with unread messages (keyboard `j`). */
  selectNextUnread(): void {
    const id = nextUnread(this.state);
    if (id) this.select(id, false);
    else this.toast("No unread conversations.", "info");
  }

  /** Whether the hub's figures are on screen: the command view, or the lane's "Work next" card
   * (no conversation open), in a visible tab. Counters, mode and team come as events anyway. */
  hubOnScreen(): boolean {
    const s = this.state;
    return document.visibilityState === "visible" && (s.view === "command" || (s.view === "lane" && !s.selectedId));
  }

  showView(view: View): void {
    this.store.set({ view });
    if (view === "command") void this.lanes.loadHub(true);
    if (view === "desk") {
      void this.desk.loadCanned();
      void this.desk.loadHours();
    }
    if (view === "lane") {
      this.seen();
      const t = this.state.selectedId ? this.client.threads.get(this.state.selectedId) : undefined;
      if (t) this.client.markRead(t);
    }
  }

  setFilter(filter: AgentState["filter"]): void {
    this.store.set({ filter });
  }

  closeConversation(id?: string): void {
    const s = this.state;
    const cid = id || s.selectedId;
    const c = cid ? s.convs.get(cid) : undefined;
    if (!cid || !c) return this.toast("Open a conversation first.", "info");
    if (c.status === "closed") return this.toast("This conversation is already closed.", "info");
    if (!this.client.sendAction({ action: "close", conversation_id: cid, request_id: `close-${cid.slice(0, 40)}` })) {
      this.toast("You're offline: close the conversation once the connection is back.", "warn");
    }
  }

  /** Sends the composer's text as a reply or, in note mode, an internal note. True when it went into the outbox. */
  send(text: string): boolean {
    const s = this.state;
    const id = s.selectedId;
    const body = text.trim();
    if (!id || !body || body.length > MAX_TEXT) return false;
    this.client.send(this.client.track(id), body, s.noteMode ? "note" : "text");
    return true;
  }

  typing(text: string): void {
    const id = this.state.selectedId;
    const t = id ? this.client.threads.get(id) : undefined;
    if (!t) return;
    if (text.trim()) this.client.userTyping(t, this.state.noteMode);
    else this.client.stopTyping(t);
  }

  setNoteMode(on: boolean): void {
    const id = this.state.selectedId;
    const t = id ? this.client.threads.get(id) : undefined;
    if (t && this.state.noteMode !== on) this.client.stopTyping(t);
    this.store.set({ noteMode: on });
  }

  retry(t: Thread, clientId: string): void {
    this.client.retry(t, clientId);
  }

  reconnectNow(): void {
    this.client.socket.reconnectNow();
  }

  setPresence(status: PresenceStatus): void {
    this.store.update((s) => {
      s.presencePending = status;
      s.me = { ...s.me, presence: { ...s.me.presence, status } };
    });
    // Sent now, or when the hub answers the change in flight.
    if (!this.sendPendingPresence()) {
      this.toast("You're offline: your status changes when the connection is back.", "warn");
    }
    // Going available is when an agent wants to hear about new chats: a
    // sensible moment to ask for desktop notifications (never on page load).
    if (status === "available" && !this.state.muted) void this.askNotifications();
  }

  /** Puts the keyboard focus on a part of the page (shortcuts). */
  focus(what: "composer" | "search"): void {
    const sel = what === "composer" ? '[data-testid="composer-input"]' : '[data-testid="conversation-search"]';
    const find = (): HTMLElement | null => {
      const el = document.querySelector<HTMLElement>(sel);
      return el && !(el as HTMLTextAreaElement).disabled ? el : null;
    };
    // At once, so that keys typed right after the shortcut land in it; and again after the
    // next render, which may have replaced the element (another thread's composer) or only
    // now shows it (the composer appears once a thread is open).
    find()?.focus();
    setTimeout(() => {
      const el = find();
      if (el && document.activeElement !== el) el.focus();
    }, 0);
  }

  setHelp(help: boolean): void {
    this.store.set({ help });
  }

  toast(text: string, kind: "error" | "warn" | "info" = "info"): void {
    const id = ++this.toastSeq;
    this.store.update((s) => {
      s.toasts = [...s.toasts, { id, text, kind }];
    });
    setTimeout(() => {
      this.store.update((s) => {
        s.toasts = s.toasts.filter((t) => t.id !== id);
      });
    }, 6_000);
  }

  // ---- notifications ------------------------------------------------------------

  private notify(alert: Alert): void {
    if (this.alerted.has(alert.key)) return;
    this.alerted.add(alert.key);
    if (alert.kind === "mention" && alert.conversationId) {
      const cid = alert.conversationId;
      this.store.update((s) => {
        s.mentions.add(cid);
      });
    }
    if (this.state.muted) return;
    chime(alert.kind);
    showDesktop(alert, () => {
      if (alert.conversationId) this.select(alert.conversationId);
      else this.showView("lane");
    });
  }

  /** The tab came back into view: the mention of the thread on screen is seen. */
  private seen(): void {
    const s = this.state;
    if (document.visibilityState !== "visible" || !s.selectedId || s.view !== "lane" || !s.mentions.has(s.selectedId)) return;
    const id = s.selectedId;
    this.store.update((st) => {
      st.mentions.delete(id);
    });
  }

  setMuted(muted: boolean): void {
    storageSet("local", muteKey(this.state.me.agent_id), muted ? true : null);
    this.store.set({ muted });
    if (!muted) void this.askNotifications();
  }

  async askNotifications(): Promise<void> {
    const permission = await askPermission();
    if (!this.destroyed) this.store.set({ permission });
  }
}

// The widget's actions: everything that changes its store besides the socket
// event map (store/events.ts). It owns the chat core (one ChatClient, one
// Thread), the widget session, availability, the callback request, the
// composer's draft and the reply chime. Components call these methods and
// render from `store.state`; they never change the state directly.

import { apiFetch, ApiError, loadConfig } from "../shared/api";
import { ChatClient, Thread, type ChatMessage, type ThreadData } from "../shared/chat";
import { playNotes, unlockAudio } from "../shared/sound";
import { Store } from "../shared/store";
import {
  MAX_TEXT,
  type BusinessHoursView,
  type ConversationSnapshot,
  type CsatView,
  type HubConfig,
  type Person,
  type ServerEvent,
} from "../shared/types";
import { storageGet, storageSet, toMs, uuid } from "../shared/util";
import type { CallbackRequest } from "./callback";
import { DraftStore } from "./draft";
import { report } from "./guard";
import { strings, type Strings } from "./i18n";
import { applyEvent } from "./store/events";
import { initialState, lastReplySeq, type Lang, type Offer, type WidgetState } from "./store/state";

const AVAILABILITY_POLL_MS = 60_000;
/** Two soft, high notes: a reply arrived while the widget was closed. */
const REPLY_NOTES = [660, 880];
const REPLY_VOLUME = 0.08;

export interface Options {
  scriptSrc: string;
  widgetKey: string;
  lang: Lang;
  title?: string | null;
  name?: string | null;
  /** What the host page knows about its signed-in customer (not verified). */
  email?: string | null;
  /** Identity verification: the tenant's user id and the HMAC its server computed for it. */
  userId?: string | null;
  userHash?: string | null;
}

interface Session {
  token: string;
  customer_id: string;
  tenant: string;
  expires_at: string | number;
  verified?: boolean;
  /** A verified customer's open conversation (e.g. started on another device). */
  conversation_id?: string | null;
}

const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
const LOCALE = /^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8}){0,4}$/;

/** What the host page tells about the customer with each page load: page, locale, browser (bounded). */
function pageContext(o: Options): Record<string, string> {
  const out: Record<string, string> = {};
  const here = typeof location !== "undefined" ? location : null;
  if (here && /^https?:$/.test(here.protocol)) {
    out.page_url = here.href.split("#")[0].slice(0, 2048);
    // By code points: a cut between a surrogate pair would be refused (a lone surrogate, issue 9).
    if (document.title) out.page_title = Array.from(document.title).slice(0, 200).join("");
  }
  const nav = typeof navigator !== "undefined" ? navigator : null;
  if (nav && LOCALE.test(nav.language || "")) out.locale = nav.language;
  if (nav?.userAgent) out.user_agent = nav.userAgent.slice(0, 512);
  if (o.email && EMAIL.test(o.email.trim()) && o.email.length <= 254) out.email = o.email.trim();
  if (o.userId && o.userHash) {
    out.user_id = o.userId;
    out.user_hash = o.userHash;
  }
  return out;
}

/** What survives a reload, in localStorage under `flowhub.widget.<key>` (same shape as before the components). */
interface Stored {
  session?: Session | null;
  thread?: ThreadData | null;
  open?: boolean;
  /** The latest callback this visitor asked for (its phase comes from the thread). */
  callback?: CallbackRequest | null;
  /** The highest seq seen with the widget open (the launcher counts replies after it). */
  seen?: number;
}

export class Widget {
  readonly store: Store<WidgetState>;
  readonly t: Strings;
  readonly drafts: DraftStore;
  client: ChatClient | null = null;
  private storeKey: string;
  private stored: Stored;
  private cfg: HubConfig | null = null;
  private booting: Promise<void> | null = null;
  private startRequest = "";
  private resetting = false;
  private pollTimer: ReturnType<typeof setInterval> | null = null;
  private saveTimer: ReturnType<typeof setTimeout> | null = null;
  /** How often the hub told the offer over the socket (the start reply, a flip). */
  private offerTold = 0;
  /** Replies up to this seq have rung already (or were there when the page loaded). */
  private rungSeq: number;
  /** This page load told the hub where the customer is (each load does, once). */
  private pageReported = false;

  constructor(private o: Options) {
    this.t = strings(o.lang);
    this.storeKey = `flowhub.widget.${o.widgetKey}`;
    this.drafts = new DraftStore(`${this.storeKey}.draft`);
    const stored = (this.stored = storageGet<Stored>("local", this.storeKey) || {});
    let thread: Thread;
    if (stored.thread && stored.thread.id) {
      thread = Thread.fromData(stored.thread);
    } else {
      thread = new Thread("");
      // Messages typed before a conversation existed: keep them queued.
      if (stored.thread) thread.outbox = Thread.fromData(stored.thread).outbox;
    }
    this.rungSeq = lastReplySeq(thread);
    this.store = new Store(initialState(o.lang, o.title || null, thread, Number(stored.seen) || 0, stored.callback || null));
  }

  get state(): WidgetState {
    return this.store.state;
  }

  get thread(): Thread {
    return this.store.state.thread;
  }

  /** After mounting: reopen when the chat was open before the reload, else reconnect in the background. */
  start(): void {
    if (this.stored.open) this.open(false);
    else if (this.thread.id || this.thread.outbox.length) this.boot();
  }

  /** Stops the socket and every timer (the page keeps the last saved state). */
  destroy(): void {
    this.flushSave();
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.pollTimer = null;
    this.client?.stop();
  }

  // ---- open / close ---------------------------------------------------------

  toggle(): void {
    if (this.state.open) this.close(true);
    else this.open(true);
  }

  open(focus = true): void {
    // A customer's click may start audio (the chime later); a reopen after a reload may not.
    if (focus) unlockAudio();
    this.stored.open = true;
    this.store.update((s) => {
      s.open = true;
      s.seenSeq = Math.max(s.seenSeq, s.thread.lastSeq);
      if (focus) s.focusInput++;
      s.scrollDown++;
    });
    this.save();
    this.boot();
    this.client?.markRead(this.thread);
    this.startPolling();
  }

  close(focusLauncher: boolean): void {
    this.stored.open = false;
    this.store.update((s) => {
      s.open = false;
      if (focusLauncher) s.focusLauncher++;
    });
    this.save();
    if (this.client) this.client.stopTyping(this.thread);
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.pollTimer = null;
  }

  // ---- connecting -----------------------------------------------------------

  boot(): void {
    if (this.booting) return;
    this.store.set({ booting: true });
    this.booting = this.doBoot().catch((e) => {
      this.booting = null;
      report("boot", e);
      if (!this.state.fatal) {
        // Config or network failure: show it and try again a bit later.
        this.store.set({ conn: "connecting" });
        setTimeout(() => this.boot(), 5_000);
      }
    });
  }

  private async doBoot(): Promise<void> {
    this.store.set({ conn: "connecting" });
    this.cfg = await loadConfig(new URL("config.json", this.o.scriptSrc).href);
    await this.ensureSession();
    this.store.set({ ready: true });
    void this.refreshAvailability();
    const client = new ChatClient({
      me: () => this.me(),
      url: async () => {
        const token = await this.ensureSession();
        const sep = this.cfg!.wsUrl.includes("?") ? "&" : "?";
        return `${this.cfg!.wsUrl}${sep}session=${encodeURIComponent(token)}`;
      },
      onOpen: () => this.sendStart(),
      onRefused: () => {
        // Maybe the session token expired: get a fresh one next attempt.
        if (this.stored.session) this.stored.session.expires_at = 0;
        return !this.state.fatal;
      },
      onEvent: (ev) => this.onEvent(ev),
      onChange: () => this.changed(),
      onConnState: (conn) => this.store.set({ conn }),
      isVisible: () => this.state.open,
    });
    this.client = client;
    client.adopt(this.thread);
    client.start();
  }

  me(): Person {
    return { role: "customer", id: this.stored.session?.customer_id || "", name: this.o.name || "" };
  }

  private async ensureSession(): Promise<string> {
    const s = this.stored.session;
    const ms = s ? toMs(s.expires_at) : NaN;
    if (this.pageReported && s && s.token && (!isFinite(ms) || ms - Date.now() > 60_000)) return s.token;
    // Once per page load (and whenever the session runs out): a session with the page's context.
    const body: Record<string, string> = { widget_key: this.o.widgetKey, ...pageContext(this.o) };
    if (s && s.token) body.previous_token = s.token;
    if (this.o.name) body.name = this.o.name;
    let fresh: Session;
    try {
      fresh = await this.openSession(body);
    } catch (e) {
      if (e instanceof ApiError && (e.status === 403 || e.status === 404 || e.status === 400)) {
        this.store.set({ fatal: this.t.unavailable });
        this.client?.stop();
      }
      throw e;
    }
    this.pageReported = true;
    if (s && s.customer_id && fresh.customer_id !== s.customer_id) {
      // A new identity cannot see the old thread: start over.
      this.resetThread();
    }
    if (!this.thread.id && fresh.conversation_id) this.adoptConversation(fresh.conversation_id);
    this.stored.session = fresh;
    this.save();
    return fresh.token;
  }

  /** POST /widget/session; an identity the hub refuses (a wrong hash) leaves a visitor session. */
  private async openSession(body: Record<string, string>): Promise<Session> {
    const post = () => apiFetch<Session>(this.cfg!.apiUrl, "/widget/session", { method: "POST", body });
    try {
      return await post();
    } catch (e) {
      if (!(e instanceof ApiError && e.code === "identity_rejected" && body.user_id)) throw e;
      report("identity", `${e.message}: chatting as a visitor`);
      this.o.userId = this.o.userHash = null;
      delete body.user_id;
      delete body.user_hash;
      return post();
    }
  }

  /** A verified customer on a new device: their open conversation becomes this thread (it syncs on connect). */
  private adoptConversation(id: string): void {
    const thread = new Thread(id);
    thread.outbox = this.thread.outbox.map((m) => ({ ...m, conversation_id: id }));
    this.drafts.move("", id);
    this.client?.adopt(thread);
    this.rungSeq = 0;
    this.store.update((st) => {
      st.thread = thread;
      st.seenSeq = 0;
      st.closed = false;
      st.csat = null;
    });
    this.save();
  }

  /** A snapshot of our conversation: closed or not, rated or not (the rating prompt follows). */
  conversationState(c: ConversationSnapshot): void {
    if (!c.id || c.id !== this.thread.id) return;
    const closed = c.status === "closed";
    const csat = c.csat || null;
    if (closed === this.state.closed && (csat?.at || null) === (this.state.csat?.at || null)) return;
    this.store.set({ closed, csat: csat || (closed ? this.state.csat : null) });
  }

  /** Rates the closed conversation (CSAT). Throws when the hub did not take it. */
  async rate(rating: number, comment: string): Promise<void> {
    if (!this.cfg || !this.thread.id) throw new Error("no conversation");
    const token = await this.ensureSession();
    const body: Record<string, unknown> = { conversation_id: this.thread.id, rating };
    if (comment) body.comment = comment;
    let csat: CsatView;
    try {
      csat = (await apiFetch<{ csat: CsatView }>(this.cfg.apiUrl, "/widget/rating", { method: "POST", body, token })).csat;
    } catch (e) {
      if (!(e instanceof ApiError && e.code === "already_rated")) throw e;
      csat = { rating, comment: comment || null, at: new Date().toISOString() }; // rated from another tab
    }
    this.store.set({ csat });
  }

  /** The hub told the offer over the socket (a flip also says whether the team is open): newer
   *  than any REST answer still on its way. */
  offerFromHub(available: boolean, offer: Offer | null, team?: WidgetState["team"]): void {
    this.offerTold++;
    this.store.set(team ? { available, hubOffer: offer, team } : { available, hubOffer: offer });
  }

  private async refreshAvailability(): Promise<void> {
    if (!this.cfg) return;
    const told = this.offerTold;
    try {
      const r = await apiFetch<{
        agents_available: boolean;
        offer?: "chat" | "callback";
        default_region?: string | null;
        open?: boolean;
        next_open_at?: string | null;
        hours?: BusinessHoursView | null;
      }>(this.cfg.apiUrl, `/widget/availability?widget_key=${encodeURIComponent(this.o.widgetKey)}`);
      const hours = r.hours || null;
      const team = { open: r.open !== false, nextOpenAt: r.next_open_at || null, hours };
      // An answer read before what the socket told since is stale: it never overrides it (the
      // week's hours come from here only).
      if (told === this.offerTold) this.store.set({ available: !!r.agents_available, hubOffer: r.offer ?? null, team });
      else this.store.set({ team: this.state.team ? { ...this.state.team, hours } : team });
      this.store.set({ defaultRegion: r.default_region ?? null });
    } catch (e) {
      report("availability", e);
    }
  }

  private startPolling(): void {
    if (this.pollTimer) return;
    this.pollTimer = setInterval(() => void this.refreshAvailability(), AVAILABILITY_POLL_MS);
  }

  sendStart(): void {
    if (!this.client) return;
    this.startRequest = `start-${uuid().slice(0, 8)}`;
    const frame: Record<string, string> = { action: "start", request_id: this.startRequest };
    if (this.thread.id) frame.conversation_id = this.thread.id;
    this.client.sendAction(frame);
  }

  /** The hub opened (or confirmed) a conversation: a thread without an id takes it. */
  conversationOpened(id: string, requestId: string | undefined): void {
    const client = this.client;
    if (!client || this.thread.id || (requestId && requestId !== this.startRequest)) return;
    this.drafts.move("", id);
    client.rename(this.thread, id);
    this.resetting = false;
    client.requestSync(this.thread);
    client.flush(this.thread);
    this.changed();
  }

  /** The stored conversation is not ours (any more): open a new one, once. */
  conversationLost(id: string | undefined): void {
    if (!this.thread.id || (id && id !== this.thread.id) || this.resetting) return;
    this.resetting = true;
    this.resetThread();
    this.sendStart();
  }

  sessionExpired(): void {
    if (this.stored.session) this.stored.session.expires_at = 0;
    this.client?.socket.reconnect();
  }

  private resetThread(): void {
    const old = this.thread;
    const pending = old.outbox.filter((m) => m.pending !== "failed");
    this.client?.forget(old.id);
    this.drafts.move(old.id, "");
    const thread = new Thread("");
    thread.outbox = pending.map((m) => ({ ...m, conversation_id: "", pending: "retry" as const }));
    this.client?.adopt(thread);
    this.rungSeq = 0;
    this.store.update((s) => {
      s.thread = thread;
      s.seenSeq = 0;
      s.callback = null;
      s.closed = false;
      s.csat = null;
    });
    this.save();
  }

  private onEvent(ev: ServerEvent): void {
    if (this.client) applyEvent(this, ev);
  }

  /** The thread changed (chat core) or the store did: follow what the customer sees, re-render, save. */
  private changed(): void {
    const s = this.state;
    if (s.open && s.thread.lastSeq > s.seenSeq) s.seenSeq = s.thread.lastSeq;
    this.store.changed();
    this.save();
  }

  /** A reply arrived while the widget is closed: one soft chime per new batch of replies. */
  ring(): void {
    const top = lastReplySeq(this.thread);
    if (top <= this.rungSeq) return;
    this.rungSeq = top;
    const s = this.state;
    if (s.open || top <= Math.max(s.seenSeq, s.thread.readSent)) return;
    playNotes(REPLY_NOTES, REPLY_VOLUME);
  }

  // ---- composing ------------------------------------------------------------

  /** The draft of the current conversation (kept across reloads). */
  draft(): string {
    return this.drafts.get(this.thread.id);
  }

  /** The composer's text changed: keep the draft, tell the agent we type. */
  typing(text: string): void {
    this.drafts.set(this.thread.id, text);
    if (!this.client) return;
    if (text.trim()) this.client.userTyping(this.thread);
    else this.client.stopTyping(this.thread);
  }

  /** Sends a message (queued until the conversation exists); false when there is nothing valid to send. */
  send(raw: string): boolean {
    const text = raw.trim();
    if (!text || text.length > MAX_TEXT) return false;
    this.drafts.set(this.thread.id, "");
    if (!this.client) {
      // Not booted yet (config still loading): queue it, boot sends it.
      const msg: ChatMessage = {
        key: "",
        conversation_id: this.thread.id,
        seq: null,
        client_id: uuid(),
        kind: "text",
        author: this.me(),
        text,
        created_at: new Date().toISOString(),
        own: true,
        pending: "retry",
      };
      msg.key = `c:${msg.client_id}`;
      this.thread.outbox.push(msg);
      this.boot();
    } else {
      this.client.send(this.thread, text);
    }
    this.store.update((s) => {
      s.scrollDown++;
      s.focusInput++;
    });
    this.save();
    return true;
  }

  retry(clientId: string): void {
    if (this.client) this.client.retry(this.thread, clientId);
    else this.boot();
  }

  // ---- callback request -----------------------------------------------------

  async requestCallback(phone: string, window: string, reason: string, region: string): Promise<void> {
    if (!this.cfg) throw new Error("not configured");
    const token = await this.ensureSession();
    const body: Record<string, string> = { phone, window };
    if (reason) body.reason = reason;
    if (this.thread.id) body.conversation_id = this.thread.id;
    // A national number is read in the country the form's picker says (CallbackForm).
    if (/^[A-Z]{2}$/.test(region)) body.region = region;
    const r = await apiFetch<{ callback: { id: string; phone: string; window?: string; max_attempts?: number } }>(
      this.cfg.apiUrl,
      "/widget/callbacks",
      { method: "POST", body, token },
    );
    const cb = r.callback;
    const request: CallbackRequest = { id: cb.id, phone: cb.phone, window: cb.window || window };
    if (typeof cb.max_attempts === "number") request.maxAttempts = cb.max_attempts;
    this.stored.callback = request;
    this.store.set({ callback: request });
    this.save();
  }

  // ---- saving ---------------------------------------------------------------

  private save(): void {
    if (this.saveTimer) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = null;
      this.flushSave();
    }, 50);
  }

  flushSave(): void {
    if (this.saveTimer) clearTimeout(this.saveTimer);
    this.saveTimer = null;
    const s = this.state;
    this.stored.thread = s.thread.toData();
    this.stored.seen = s.seenSeq;
    this.stored.callback = s.callback;
    storageSet("local", this.storeKey, this.stored);
  }
}

// The client core shared by the widget and the agent view: one reconnecting
// socket, one Thread per conversation (ordered by seq, deduplicated by seq and
// client_id, gap-free through `sync`), an outbox with a per-message delivery
// state machine, receipts and typing.
//
// Numbers are the reader's own: agents see every entry, customers only the
// public ones, numbered without holes. A `sync` answer says `through` which
// number everything is covered (an entry whose writer died is skipped), and
// `reset` when the thread we hold is not the server's any more (its data was
// restored to an earlier point): the thread is then rebuilt from the server,
// and our own messages it no longer has go back to the outbox.

import { ReconnectingSocket, type ConnState } from "./socket";
import type {
  AckEvent,
  ConversationSnapshot,
  CursorEvent,
  DeliveryState,
  ErrorEvent,
  MessageEvent,
  MessageKind,
  Person,
  ServerEvent,
  SyncEvent,
  TypingEvent,
} from "./types";
import { toMs, uuid } from "./util";

export const ACK_TIMEOUT_MS = 8_000;
// While keys are pressed the `start` is repeated this often: only so that the other side keeps
// showing it (and the hub keeps its indicator fresh) when a `stop` never comes because this client
// vanished. Every repeat is a frame in, a Lambda invocation, a Query and a post for each reader
// (docs/cost.md, "Typing that goes on"), so it is rare: a spell ends with the send, or with a
// `stop` after TYPING_IDLE_MS without a key, long before most repeats would be due.
export const TYPING_THROTTLE_MS = 10_000;
export const TYPING_IDLE_MS = 4_000;
// A `start` shows this long: longer than the widest gap between two starts of one spell (the
// repeat goes with the first key after the throttle, and keys come less than TYPING_IDLE_MS
// apart), plus 2 s for the frame to arrive.
export const TYPING_SHOW_MS = TYPING_THROTTLE_MS + TYPING_IDLE_MS + 2_000;
export const SENT_AGAIN_SHOW_MS = 2_500;
/** Automatic resends of an unacknowledged message (same client_id: the hub answers
 * `sent-again` if the first try was stored), spaced 2 s, 4 s, 8 s … up to 30 s. */
export const AUTO_RESEND_MAX = 6;
const AUTO_RESEND_BASE_MS = 2_000;
const AUTO_RESEND_CAP_MS = 30_000;
const SYNC_TIMEOUT_MS = 10_000;
/** Receipts are cumulative (docs/protocol.md, "Receipts"): `read` implies `delivered`, so a
 * message that arrives on screen is answered by `read` alone, at most one `read` a second per
 * conversation; `delivered` waits this long, so that a `read` can take its place. */
export const RECEIPT_INTERVAL_MS = 1_000;
/** Behind the server after a sync (a number still being written): ask again after this, doubling. */
export const BEHIND_RETRY_MS = 500;
const BEHIND_RETRY_MAX_MS = 5_000;

export interface ChatMessage {
  key: string;
  conversation_id: string;
  /** null while the message waits in the outbox. */
  seq: number | null;
  client_id: string;
  kind: MessageKind;
  author: Person;
  text: string;
  created_at: string;
  own: boolean;
  /** System lines: what happened and its parameters, so each client words it in its language. */
  code?: string;
  params?: Record<string, string>;
  /** Set while the message is in the outbox. */
  pending?: "sending" | "retry" | "failed";
  error?: string;
  sentAgainUntil?: number;
}

export interface TypingInfo {
  by: Person;
  note: boolean;
  until: number;
}

export interface ThreadData {
  id: string;
  lastSeq: number;
  messages: ChatMessage[];
  outbox: ChatMessage[];
  otherDelivered: number;
  otherRead: number;
  deliveredSent: number;
  readSent: number;
}

export class Thread {
  lastSeq = 0;
  snapshot: ConversationSnapshot | null = null;
  readonly bySeq = new Map<number, ChatMessage>();
  readonly byClient = new Map<string, ChatMessage>();
  /** Own messages not yet acknowledged, oldest first. */
  outbox: ChatMessage[] = [];
  otherDelivered = 0;
  otherRead = 0;
  deliveredSent = 0;
  readSent = 0;
  /** Read here without a receipt (an agent only reading a chat they are not part of). */
  readLocal = 0;
  /** When the last `read` went out (ms), and the pending cumulative receipt, if any. */
  readAt = 0;
  receiptTimer: ReturnType<typeof setTimeout> | null = null;
  readonly typing = new Map<string, TypingInfo>();
  syncInFlight = false;
  syncAgain = false;
  syncTimer: ReturnType<typeof setTimeout> | null = null;
  /** Retrying while the server is ahead of what a sync could give (a number still being written). */
  behindTimer: ReturnType<typeof setTimeout> | null = null;
  behindTries = 0;
  /** Own messages held when a reset began: resent if the rebuilt thread does not have them. */
  recovering: ChatMessage[] | null = null;
  typingTimer: ReturnType<typeof setTimeout> | null = null;
  // Own typing state.
  typingSentAt = 0;
  typingActive = false;
  typingNote = false;
  typingIdle: ReturnType<typeof setTimeout> | null = null;

  constructor(public id: string) {}

  /** Confirmed messages in seq order, then the outbox in creation order. */
  messages(): ChatMessage[] {
    const confirmed = Array.from(this.bySeq.values()).sort((a, b) => (a.seq ?? 0) - (b.seq ?? 0));
    return confirmed.concat(this.outbox);
  }

  typers(now = Date.now()): TypingInfo[] {
    return Array.from(this.typing.values()).filter((t) => t.until > now);
  }

  toData(limit = 200): ThreadData {
    const confirmed = Array.from(this.bySeq.values())
      .sort((a, b) => (a.seq ?? 0) - (b.seq ?? 0))
      .slice(-limit);
    return {
      id: this.id,
      lastSeq: this.lastSeq,
      messages: confirmed,
      outbox: this.outbox.map((m) => ({ ...m, pending: m.pending === "failed" ? "failed" : "retry" })),
      otherDelivered: this.otherDelivered,
      otherRead: this.otherRead,
      deliveredSent: this.deliveredSent,
      readSent: this.readSent,
    };
  }

  static fromData(d: ThreadData): Thread {
    const t = new Thread(d.id);
    t.lastSeq = Number(d.lastSeq) || 0;
    for (const m of d.messages || []) {
      if (typeof m.seq !== "number") continue;
      t.bySeq.set(m.seq, m);
      if (m.client_id) t.byClient.set(m.client_id, m);
    }
    t.outbox = (d.outbox || []).filter((m) => m && m.client_id && typeof m.text === "string");
    t.otherDelivered = Number(d.otherDelivered) || 0;
    t.otherRead = Number(d.otherRead) || 0;
    t.deliveredSent = Number(d.deliveredSent) || 0;
    t.readSent = Number(d.readSent) || 0;
    return t;
  }
}

/** True when snapshot `a` is older than `b` (by last_seq, then updated_at). */
export function isOlder(a: ConversationSnapshot, b: ConversationSnapshot | null | undefined): boolean {
  if (!b) return false;
  if ((a.last_seq || 0) !== (b.last_seq || 0)) return (a.last_seq || 0) < (b.last_seq || 0);
  const ua = toMs(a.updated_at);
  const ub = toMs(b.updated_at);
  return isFinite(ua) && isFinite(ub) && ua < ub;
}

export function messageKey(m: { client_id?: string; seq?: number | null }): string {
  return m.client_id ? `c:${m.client_id}` : `s:${m.seq}`;
}

export interface ChatClientOptions {
  /** Who this client is (read lazily: the id is known only after sign-in). */
  me: () => Person;
  url: () => Promise<string>;
  /** App hook on every open, before the core resyncs threads and resends. */
  onOpen?: (resumed: boolean) => void;
  onRefused?: (consecutive: number) => Promise<boolean> | boolean;
  onEvent?: (ev: ServerEvent) => void;
  onChange?: (t: Thread) => void;
  onConnState?: (s: ConnState) => void;
  /** Whether the thread is on screen (read receipts need that and focus). */
  isVisible?: (conversationId: string) => boolean;
  onNotJoined?: (conversationId: string) => void;
  /** Whether receipts may be sent yet (agents: only once joined). */
  canReceipt?: (t: Thread) => boolean;
}

export class ChatClient {
  readonly socket: ReconnectingSocket;
  readonly threads = new Map<string, Thread>();
  private ackTimers = new Map<string, ReturnType<typeof setTimeout>>();
  private resendTimers = new Map<string, ReturnType<typeof setTimeout>>();
  private resendAttempts = new Map<string, number>();

  constructor(private o: ChatClientOptions) {
    this.socket = new ReconnectingSocket({
      url: o.url,
      onMessage: (d) => this.handle(d),
      onOpen: (resumed) => this.opened(resumed),
      onClose: () => this.closed(),
      onState: (s) => o.onConnState?.(s),
      onRefused: o.onRefused,
    });
    const refocus = () => {
      for (const t of this.threads.values()) this.markRead(t);
    };
    window.addEventListener("focus", refocus);
    document.addEventListener("visibilitychange", refocus);
  }

  start(): void {
    this.socket.start();
  }

  stop(): void {
    this.socket.stop();
    for (const t of this.ackTimers.values()) clearTimeout(t);
    this.ackTimers.clear();
    for (const t of this.resendTimers.values()) clearTimeout(t);
    this.resendTimers.clear();
    for (const t of this.threads.values()) {
      for (const timer of [t.syncTimer, t.typingTimer, t.typingIdle, t.behindTimer, t.receiptTimer]) if (timer) clearTimeout(timer);
      t.syncTimer = t.typingTimer = t.typingIdle = t.behindTimer = t.receiptTimer = null;
    }
  }

  get connected(): boolean {
    return this.socket.isOpen;
  }

  /** Sends a raw action; false when offline. */
  sendAction(frame: object): boolean {
    return this.socket.send(frame);
  }

  track(id: string): Thread {
    let t = this.threads.get(id);
    if (!t) {
      t = new Thread(id);
      this.threads.set(id, t);
    }
    return t;
  }

  adopt(t: Thread): Thread {
    this.threads.set(t.id, t);
    return t;
  }

  /** Gives a placeholder thread (id "") its real conversation id. */
  rename(t: Thread, id: string): void {
    this.threads.delete(t.id);
    t.id = id;
    for (const m of t.outbox) m.conversation_id = id;
    this.threads.set(id, t);
  }

  forget(id: string): void {
    const t = this.threads.get(id);
    if (!t) return;
    for (const m of t.outbox) this.clearAck(m.client_id);
    if (t.syncTimer) clearTimeout(t.syncTimer);
    if (t.typingTimer) clearTimeout(t.typingTimer);
    if (t.typingIdle) clearTimeout(t.typingIdle);
    if (t.behindTimer) clearTimeout(t.behindTimer);
    if (t.receiptTimer) clearTimeout(t.receiptTimer);
    this.threads.delete(id);
  }

  isOwn(author: Person | null | undefined): boolean {
    const me = this.o.me();
    return !!author && author.role === me.role && author.id === me.id;
  }

  stateOf(m: ChatMessage, t: Thread): DeliveryState | undefined {
    if (!m.own) return undefined;
    if (m.pending) return m.pending;
    if (m.sentAgainUntil && Date.now() < m.sentAgainUntil) return "sent-again";
    if (m.kind === "note" || m.seq == null) return "sent";
    if (t.otherRead >= m.seq) return "read";
    if (t.otherDelivered >= m.seq) return "delivered";
    return "sent";
  }

  // ---- outgoing -------------------------------------------------------------

  send(t: Thread, text: string, kind: "text" | "note" = "text"): ChatMessage {
    const msg: ChatMessage = {
      key: "",
      conversation_id: t.id,
      seq: null,
      client_id: uuid(),
      kind,
      author: this.o.me(),
      text,
      created_at: new Date().toISOString(),
      own: true,
      pending: "sending",
    };
    msg.key = messageKey(msg);
    t.outbox.push(msg);
    // The hub takes the send as the stop: no `stop` frame (docs/protocol.md, "Typing"). Only a
    // note sent while typing a public reply (or the reverse) still says `stop`: the customer
    // never sees a note, so their indicator would otherwise stay on until it runs out.
    if (t.typingActive && t.typingNote !== (kind === "note")) this.stopTyping(t);
    else this.typingEnded(t);
    this.transmit(t, msg);
    this.changed(t);
    return msg;
  }

  retry(t: Thread, clientId: string): void {
    const msg = t.outbox.find((m) => m.client_id === clientId);
    if (!msg) return;
    msg.error = undefined;
    msg.pending = "sending";
    if (!this.connected) this.socket.reconnectNow();
    this.transmit(t, msg);
    this.changed(t);
  }

  /** Resends everything waiting in a thread's outbox, oldest first. */
  flush(t: Thread): void {
    let any = false;
    for (const m of t.outbox) {
      if (m.pending === "failed") continue;
      this.transmit(t, m);
      any = true;
    }
    if (any) this.changed(t);
  }

  private transmit(t: Thread, msg: ChatMessage): void {
    this.clearAck(msg.client_id);
    if (!t.id) {
      // The conversation is still being opened: it goes out once it exists.
      msg.pending = this.connected ? "sending" : "retry";
      return;
    }
    const ok = this.socket.send({
      action: msg.kind === "note" ? "note" : "send",
      conversation_id: t.id,
      client_id: msg.client_id,
      text: msg.text,
    });
    if (!ok) {
      msg.pending = "retry";
      return;
    }
    msg.pending = "sending";
    this.ackTimers.set(
      msg.client_id,
      setTimeout(() => {
        this.ackTimers.delete(msg.client_id);
        if (msg.pending !== "sending") return;
        msg.pending = "retry";
        this.changed(t);
        // No ack in time: check whether the socket is still alive; if it is
        // not, the reconnect resends this message with the same client_id.
        // If it is (a slow hub, a lost frame), resend it ourselves, with backoff.
        this.socket.probe();
        this.scheduleResend(t, msg);
      }, ACK_TIMEOUT_MS),
    );
  }

  /** A message left at "retry" on a live socket is resent automatically (bounded, with
   * backoff) — a retry that never resends is how chats lose messages. The user can still
   * resend at once with `retry`. */
  private scheduleResend(t: Thread, msg: ChatMessage, notBeforeMs = 0): void {
    const attempt = this.resendAttempts.get(msg.client_id) ?? 0;
    if (attempt >= AUTO_RESEND_MAX || this.resendTimers.has(msg.client_id)) return;
    this.resendAttempts.set(msg.client_id, attempt + 1);
    const delay = Math.max(notBeforeMs, Math.min(AUTO_RESEND_CAP_MS, AUTO_RESEND_BASE_MS * 2 ** attempt));
    this.resendTimers.set(
      msg.client_id,
      setTimeout(() => {
        this.resendTimers.delete(msg.client_id);
        if (msg.pending !== "retry" || !t.outbox.includes(msg) || !this.connected) return;
        this.transmit(t, msg);
        this.changed(t);
      }, delay),
    );
  }

  private clearAck(clientId: string): void {
    const timer = this.ackTimers.get(clientId);
    if (timer) clearTimeout(timer);
    this.ackTimers.delete(clientId);
  }

  private forgetResends(clientId: string): void {
    const timer = this.resendTimers.get(clientId);
    if (timer) clearTimeout(timer);
    this.resendTimers.delete(clientId);
    this.resendAttempts.delete(clientId);
  }

  userTyping(t: Thread, note = false): void {
    if (!t.id) return;
    const now = Date.now();
    if (!t.typingActive || t.typingNote !== note || now - t.typingSentAt >= TYPING_THROTTLE_MS) {
      const frame: Record<string, unknown> = { action: "typing", conversation_id: t.id, state: "start" };
      if (note) frame.note = true;
      // The start that opens a spell of typing: the hub tells the other side and stores nothing
      // until the next start, 10 s on, shows the person is still at it (docs/protocol.md, "Typing").
      if (!t.typingActive || t.typingNote !== note) frame.first = true;
      if (t.typingActive && t.typingNote !== note) this.stopTyping(t);
      if (this.socket.send(frame)) {
        t.typingSentAt = now;
        t.typingActive = true;
        t.typingNote = note;
      }
    }
    if (t.typingIdle) clearTimeout(t.typingIdle);
    t.typingIdle = setTimeout(() => this.stopTyping(t), TYPING_IDLE_MS);
  }

  stopTyping(t: Thread): void {
    const active = t.typingActive;
    const note = t.typingNote;
    this.typingEnded(t);
    if (!active) return;
    const frame: Record<string, unknown> = { action: "typing", conversation_id: t.id, state: "stop" };
    if (note) frame.note = true;
    this.socket.send(frame);
  }

  // Forgets our own typing without telling anyone: a send ends it on the hub and for readers.
  private typingEnded(t: Thread): void {
    if (t.typingIdle) clearTimeout(t.typingIdle);
    t.typingIdle = null;
    t.typingActive = false;
    t.typingSentAt = 0;
  }

  requestSync(t: Thread, since?: number): void {
    if (!t.id) return;
    if (t.syncInFlight) {
      t.syncAgain = true;
      return;
    }
    const from = since ?? t.lastSeq;
    const frame: Record<string, unknown> = { action: "sync", conversation_id: t.id, since: from };
    // What we hold at `from`: the server answers `reset` when it holds something else there.
    const anchor = from > 0 ? t.bySeq.get(from)?.client_id : undefined;
    if (anchor) frame.anchor = anchor;
    if (!this.socket.send(frame)) return;
    t.syncInFlight = true;
    if (t.syncTimer) clearTimeout(t.syncTimer);
    t.syncTimer = setTimeout(() => {
      t.syncTimer = null;
      if (!t.syncInFlight) return;
      t.syncInFlight = false;
      this.requestSync(t);
    }, SYNC_TIMEOUT_MS);
  }

  /** Sends `read` up to the thread's last seq when it is on screen and focused (at most one a
   * second: a later one waits and covers everything that arrived meanwhile). */
  markRead(t: Thread): void {
    // Only when something from others is unread: our own messages need no receipt of ours.
    if (!t.id || t.lastSeq <= t.readSent || this.receivedUpTo(t) <= t.readSent) return;
    if (!this.o.isVisible || !this.o.isVisible(t.id)) return;
    if (document.visibilityState !== "visible" || !document.hasFocus()) return;
    const seq = t.lastSeq;
    if (this.o.canReceipt && !this.o.canReceipt(t)) {
      // Read by someone who is not a participant (an agent only reading): no receipt goes out —
      // nobody is told anything — but it is read all the same, so its unread count clears. Once
      // they take or help, the next markRead sends the receipt.
      if (t.readLocal < seq) {
        t.readLocal = seq;
        this.changed(t);
      }
      return;
    }
    const wait = t.readAt + RECEIPT_INTERVAL_MS - Date.now();
    if (wait > 0) {
      this.receiptLater(t, wait);
      return;
    }
    if (this.socket.send({ action: "read", conversation_id: t.id, seq })) {
      t.readAt = Date.now();
      t.readSent = seq;
      if (t.deliveredSent < seq) t.deliveredSent = seq;
      const me = this.o.me();
      const p = t.snapshot?.participants.find((x) => x.role === me.role && x.id === me.id);
      if (p && p.read_seq < seq) p.read_seq = seq;
      this.changed(t);
    }
  }

  // ---- incoming -------------------------------------------------------------

  private opened(resumed: boolean): void {
    try {
      this.o.onOpen?.(resumed);
    } catch (e) {
      console.error("[flowhub] onOpen hook failed", e);
    }
    for (const t of this.threads.values()) {
      if (!t.id) continue;
      t.syncInFlight = false;
      t.syncAgain = false;
      this.requestSync(t);
      this.flush(t);
    }
  }

  private closed(): void {
    for (const t of this.threads.values()) {
      let any = false;
      for (const m of t.outbox) {
        if (m.pending === "sending") {
          m.pending = "retry";
          this.clearAck(m.client_id);
          any = true;
        }
      }
      t.syncInFlight = false;
      t.typingActive = false;
      if (t.typing.size) {
        t.typing.clear();
        any = true;
      }
      if (any) this.changed(t);
    }
  }

  private handle(data: unknown): void {
    if (!data || typeof data !== "object") return;
    const ev = data as ServerEvent;
    switch (ev.type) {
      case "message":
        this.onMessage(ev);
        break;
      case "ack":
        this.onAck(ev);
        break;
      case "sync":
        this.onSync(ev);
        break;
      case "conversation": {
        const t = this.threads.get(ev.conversation.id);
        if (t) {
          this.applySnapshot(t, ev.conversation);
          this.receipts(t);
          this.changed(t);
        }
        break;
      }
      case "delivered":
      case "read":
        this.onCursor(ev);
        break;
      case "typing":
        this.onTyping(ev);
        break;
      case "error":
        this.onError(ev);
        break;
    }
    this.o.onEvent?.(ev);
  }

  private applySnapshot(t: Thread, snap: ConversationSnapshot): void {
    // Events can overtake each other: never let an older snapshot replace a
    // newer one (cursors below only ever move forward, so merging is safe).
    if (!isOlder(snap, t.snapshot)) t.snapshot = snap;
    const me = this.o.me();
    for (const p of snap.participants || []) {
      if (p.role === me.role && p.id === me.id) {
        t.deliveredSent = Math.max(t.deliveredSent, p.delivered_seq || 0);
        t.readSent = Math.max(t.readSent, p.read_seq || 0);
      } else if (p.role !== me.role) {
        t.otherDelivered = Math.max(t.otherDelivered, p.delivered_seq || 0, p.read_seq || 0);
        t.otherRead = Math.max(t.otherRead, p.read_seq || 0);
      }
    }
    // Our own numbering has no holes: a snapshot ahead of us means we missed an entry; one
    // behind us means the server went back in time (restored data) and our view is stale.
    if ((snap.last_seq || 0) < t.lastSeq) {
      if (!t.syncInFlight) this.requestSync(t);
    } else if ((snap.last_seq || 0) > t.lastSeq && !t.syncInFlight) {
      const ahead = snap.last_seq;
      // Give a `message` event already on its way a moment to land first.
      setTimeout(() => {
        if (this.threads.get(t.id) === t && t.lastSeq < ahead) this.requestSync(t);
      }, 300);
    }
  }

  /** Adds one message; false when it was already there. */
  private ingest(t: Thread, m: MessageEvent): boolean {
    const existing = t.bySeq.get(m.seq);
    const pendingIdx = m.client_id ? t.outbox.findIndex((o) => o.client_id === m.client_id) : -1;
    if (existing || (m.client_id && t.byClient.has(m.client_id))) {
      if (pendingIdx >= 0) {
        const [p] = t.outbox.splice(pendingIdx, 1);
        this.clearAck(p.client_id);
      }
      return false;
    }
    let msg: ChatMessage;
    if (pendingIdx >= 0) {
      msg = t.outbox.splice(pendingIdx, 1)[0];
      this.clearAck(msg.client_id);
      msg.pending = undefined;
      msg.error = undefined;
      msg.seq = m.seq;
      msg.created_at = m.created_at || msg.created_at;
    } else {
      msg = {
        key: messageKey(m),
        conversation_id: m.conversation_id,
        seq: m.seq,
        client_id: m.client_id || "",
        kind: m.kind || "text",
        author: m.author || { role: "system", id: "", name: "" },
        text: typeof m.text === "string" ? m.text : "",
        created_at: m.created_at,
        own: this.isOwn(m.author),
      };
      if (m.code) {
        msg.code = m.code;
        msg.params = (m.params || {}) as Record<string, string>;
      }
    }
    t.bySeq.set(m.seq, msg);
    if (msg.client_id) t.byClient.set(msg.client_id, msg);
    return true;
  }

  private onMessage(m: MessageEvent): void {
    const t = this.threads.get(m.conversation_id);
    if (!t || typeof m.seq !== "number") return;
    if (this.contradicts(t, m.seq, m.client_id)) {
      this.requestSync(t); // the server's entry at this number is not ours: it answers `reset`
      return;
    }
    if (t.bySeq.has(m.seq) || (m.client_id && t.byClient.has(m.client_id))) {
      this.ingest(t, m); // settles a matching outbox entry, adds nothing
      return;
    }
    if (m.seq <= t.lastSeq) {
      // A number we are past but never saw: if the server went back in time, sync tells us.
      this.requestSync(t);
      return;
    }
    if (m.prev_seq !== t.lastSeq) {
      // We missed something: never append out of order, ask for the gap.
      this.requestSync(t);
      return;
    }
    this.ingest(t, m);
    t.lastSeq = m.seq;
    this.afterIngest(t, [m]);
  }

  private onSync(s: SyncEvent): void {
    const t = this.threads.get(s.conversation_id);
    if (!t) return;
    if (t.syncTimer) clearTimeout(t.syncTimer);
    t.syncTimer = null;
    t.syncInFlight = false;
    if (s.reset) this.beginReset(t);
    if (s.conversation) this.applySnapshot(t, s.conversation);
    const msgs = (s.messages || []).filter((m) => typeof m.seq === "number").sort((a, b) => a.seq - b.seq);
    const added: MessageEvent[] = [];
    for (const m of msgs) if (this.ingest(t, m)) added.push(m);
    const since = typeof s.since === "number" ? s.since : 0;
    if (since <= t.lastSeq) {
      // Everything up to `through` is here (or was nothing for us): that is our last number.
      const last = msgs.length ? msgs[msgs.length - 1].seq : since;
      t.lastSeq = Math.max(t.lastSeq, typeof s.through === "number" ? s.through : last, last);
    }
    if (s.complete === false) {
      this.requestSync(t, typeof s.next_since === "number" ? s.next_since : t.lastSeq);
    } else {
      if (t.recovering) this.endReset(t);
      if (t.syncAgain || since > t.lastSeq) {
        t.syncAgain = false;
        this.requestSync(t);
      } else {
        this.checkBehind(t);
      }
    }
    this.afterIngest(t, added);
  }

  /** True when we hold a different entry at this number (or this client id at another number). */
  private contradicts(t: Thread, seq: number, clientId?: string): boolean {
    const here = t.bySeq.get(seq);
    if (here && clientId && here.client_id && here.client_id !== clientId) return true;
    const mine = clientId ? t.byClient.get(clientId) : undefined;
    return !!mine && mine.seq != null && mine.seq !== seq;
  }

  /** The server says our view is stale: drop the thread, keeping our own messages to check. */
  private beginReset(t: Thread): void {
    const own = Array.from(t.bySeq.values()).filter((m) => m.own && m.kind !== "system");
    t.recovering = (t.recovering || []).concat(own);
    t.bySeq.clear();
    t.byClient.clear();
    t.lastSeq = 0;
    t.deliveredSent = t.readSent = t.otherDelivered = t.otherRead = 0;
    t.readLocal = 0; // read here without a receipt: a number of the old view too
    t.snapshot = null;
  }

  /** Own messages the rebuilt thread does not have were lost with the server's data: resend
   * them (same client_id, so a copy the server does have is never stored twice). */
  private endReset(t: Thread): void {
    const lost = (t.recovering || []).filter((m) => !t.byClient.has(m.client_id));
    t.recovering = null;
    for (const m of lost) {
      if (t.outbox.some((o) => o.client_id === m.client_id)) continue;
      t.outbox.push({ ...m, seq: null, pending: "sending", sentAgainUntil: undefined });
    }
    if (lost.length) this.flush(t);
  }

  /** Still behind the server's last number after a complete sync: an entry is being written
   * (or its writer died and the hub fills it after a few seconds). Ask again, backing off. */
  private checkBehind(t: Thread): void {
    const ahead = t.snapshot?.last_seq ?? 0;
    if (ahead <= t.lastSeq) {
      t.behindTries = 0;
      return;
    }
    if (t.behindTimer) return;
    const delay = Math.min(BEHIND_RETRY_MS * 2 ** t.behindTries, BEHIND_RETRY_MAX_MS);
    t.behindTries++;
    t.behindTimer = setTimeout(() => {
      t.behindTimer = null;
      if (this.threads.get(t.id) === t && (t.snapshot?.last_seq ?? 0) > t.lastSeq) this.requestSync(t);
    }, delay);
  }

  private afterIngest(t: Thread, added: MessageEvent[]): void {
    for (const m of added) {
      if (!this.isOwn(m.author) && m.author) t.typing.delete(`${m.author.role}:${m.author.id}`);
    }
    this.receipts(t);
    this.changed(t);
  }

  /** `read` if on screen (it implies delivered); otherwise one cumulative `delivered` for
   * everything received from others, a second later. */
  receipts(t: Thread): void {
    if (!t.id) return;
    this.markRead(t); // (for someone not a participant: read here, and no receipt)
    if (this.o.canReceipt && !this.o.canReceipt(t)) return;
    if (this.receivedUpTo(t) > t.deliveredSent) this.receiptLater(t, RECEIPT_INTERVAL_MS);
  }

  /** The last entry from others we hold (what a `delivered` reports). */
  private receivedUpTo(t: Thread): number {
    let maxOther = 0;
    for (const m of t.bySeq.values()) {
      if (!m.own && m.seq != null && m.seq <= t.lastSeq && m.seq > maxOther) maxOther = m.seq;
    }
    return maxOther;
  }

  /** One pending receipt per conversation: when it fires it sends the most that is true then
   * (`read` if on screen, else `delivered`), so a burst of messages costs one receipt. */
  private receiptLater(t: Thread, delay: number): void {
    if (t.receiptTimer) return;
    t.receiptTimer = setTimeout(() => {
      t.receiptTimer = null;
      if (this.threads.get(t.id) !== t || (this.o.canReceipt && !this.o.canReceipt(t))) return;
      this.markRead(t);
      const upTo = this.receivedUpTo(t);
      if (upTo > t.deliveredSent && !t.receiptTimer) {
        if (this.socket.send({ action: "delivered", conversation_id: t.id, seq: upTo })) t.deliveredSent = upTo;
      }
    }, delay);
  }

  private onAck(a: AckEvent): void {
    if ((a.action !== "send" && a.action !== "note") || !a.client_id) return;
    let t = a.conversation_id ? this.threads.get(a.conversation_id) : undefined;
    if (!t || !t.outbox.some((m) => m.client_id === a.client_id)) {
      t = Array.from(this.threads.values()).find((x) => x.outbox.some((m) => m.client_id === a.client_id)) || t;
    }
    if (!t) return;
    const idx = t.outbox.findIndex((m) => m.client_id === a.client_id);
    let msg: ChatMessage | undefined;
    if (idx >= 0) {
      msg = t.outbox.splice(idx, 1)[0];
      this.clearAck(msg.client_id);
      this.forgetResends(msg.client_id);
    } else {
      msg = t.byClient.get(a.client_id);
    }
    if (!msg) return;
    msg.pending = undefined;
    msg.error = undefined;
    if (a.created_at) msg.created_at = a.created_at;
    if (a.status === "sent-again") {
      msg.sentAgainUntil = Date.now() + SENT_AGAIN_SHOW_MS;
      const tt = t;
      setTimeout(() => this.changed(tt), SENT_AGAIN_SHOW_MS + 50);
    }
    if (typeof a.seq === "number" && this.contradicts(t, a.seq, a.client_id)) {
      this.requestSync(t); // the server numbers our message where we hold another: stale view
    } else if (typeof a.seq === "number" && msg.seq == null) {
      msg.seq = a.seq;
      if (!t.bySeq.has(a.seq)) {
        t.bySeq.set(a.seq, msg);
        t.byClient.set(msg.client_id, msg);
      }
      if (a.seq === t.lastSeq + 1) t.lastSeq = a.seq;
      else if (a.seq > t.lastSeq) this.requestSync(t);
    }
    this.markRead(t);
    this.changed(t);
  }

  private onCursor(ev: CursorEvent): void {
    const t = this.threads.get(ev.conversation_id);
    if (!t || typeof ev.seq !== "number" || !ev.by) return;
    const me = this.o.me();
    if (ev.by.role === me.role && ev.by.id === me.id) {
      if (ev.type === "read") t.readSent = Math.max(t.readSent, ev.seq);
      t.deliveredSent = Math.max(t.deliveredSent, ev.seq);
    } else if (ev.by.role !== me.role) {
      t.otherDelivered = Math.max(t.otherDelivered, ev.seq);
      if (ev.type === "read") t.otherRead = Math.max(t.otherRead, ev.seq);
    }
    const p = t.snapshot?.participants.find((x) => x.role === ev.by.role && x.id === ev.by.id);
    if (p) {
      p.delivered_seq = Math.max(p.delivered_seq || 0, ev.seq);
      if (ev.type === "read") p.read_seq = Math.max(p.read_seq || 0, ev.seq);
    }
    this.changed(t);
  }

  private onTyping(ev: TypingEvent): void {
    const t = this.threads.get(ev.conversation_id);
    if (!t || !ev.by || this.isOwn(ev.by)) return;
    const key = `${ev.by.role}:${ev.by.id}`;
    if (ev.state === "start") t.typing.set(key, { by: ev.by, note: !!ev.note, until: Date.now() + TYPING_SHOW_MS });
    else t.typing.delete(key);
    this.scheduleTypingSweep(t);
    this.changed(t);
  }

  private scheduleTypingSweep(t: Thread): void {
    if (t.typingTimer) clearTimeout(t.typingTimer);
    t.typingTimer = null;
    if (!t.typing.size) return;
    const next = Math.min(...Array.from(t.typing.values(), (x) => x.until));
    t.typingTimer = setTimeout(
      () => {
        const now = Date.now();
        for (const [k, v] of t.typing) if (v.until <= now) t.typing.delete(k);
        this.scheduleTypingSweep(t);
        this.changed(t);
      },
      Math.max(50, next - Date.now() + 20),
    );
  }

  private onError(e: ErrorEvent): void {
    if (e.client_id) {
      for (const t of this.threads.values()) {
        const msg = t.outbox.find((m) => m.client_id === e.client_id);
        if (!msg) continue;
        this.clearAck(msg.client_id);
        if (e.code === "internal") {
          msg.pending = "retry";
          this.scheduleResend(t, msg);
        } else if (e.code === "rate_limited") {
          // Nothing was stored: it goes out again once the hub says it may.
          msg.pending = "retry";
          this.scheduleResend(t, msg, (e.retry_after ?? 1) * 1000);
        } else if (e.code === "session_expired") {
          msg.pending = "retry";
        } else if (e.code === "not_joined") {
          msg.pending = "retry";
          this.o.onNotJoined?.(t.id);
          this.scheduleResend(t, msg); // goes out again once the join has landed
        } else {
          msg.pending = "failed";
          msg.error = e.message || e.code;
        }
        this.changed(t);
      }
    }
    if ((e.action === "delivered" || e.action === "read") && e.conversation_id) {
      // Not accepted (e.g. not joined yet): forget what we thought we sent so
      // the receipt goes out again once it can.
      const t = this.threads.get(e.conversation_id);
      const me = this.o.me();
      const p = t?.snapshot?.participants.find((x) => x.role === me.role && x.id === me.id);
      if (t) {
        t.deliveredSent = p ? p.delivered_seq || 0 : 0;
        t.readSent = p ? p.read_seq || 0 : 0;
      }
    }
    if (e.action === "sync" && e.conversation_id) {
      const t = this.threads.get(e.conversation_id);
      if (t) {
        t.syncInFlight = false;
        if (t.syncTimer) clearTimeout(t.syncTimer);
        t.syncTimer = null;
        if (e.code === "rate_limited") {
          // Ask again once the hub says we may (the thread is not complete until then).
          t.syncTimer = setTimeout(() => {
            t.syncTimer = null;
            if (this.threads.get(t.id) === t) this.requestSync(t);
          }, (e.retry_after ?? 1) * 1000);
        }
      }
    }
  }

  private changed(t: Thread): void {
    try {
      this.o.onChange?.(t);
    } catch (e) {
      console.error("[flowhub] render failed", e);
    }
  }
}

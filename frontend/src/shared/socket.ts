// A WebSocket that reconnects by itself: exponential backoff with jitter
// (0.5 s → 15 s), a heartbeat every 60 s (API Gateway closes idle sockets after
// 10 minutes) and a watchdog that drops a socket which stopped answering.

export type ConnState = "idle" | "connecting" | "open" | "reconnecting" | "stopped";

export interface SocketOptions {
  /** Builds the URL with a fresh credential for every attempt. */
  url: () => Promise<string>;
  onMessage: (data: unknown) => void;
  /** Called on every successful open; `resumed` is true after a reconnect. */
  onOpen: (resumed: boolean) => void;
  onClose?: () => void;
  onState?: (state: ConnState) => void;
  /**
   * Called when a handshake is refused (the socket closed before it opened),
   * with the number of consecutive refusals. Return false to stop for good
   * (e.g. the credential is no longer valid).
   */
  onRefused?: (consecutive: number) => Promise<boolean> | boolean;
  heartbeatMs?: number;
  minDelayMs?: number;
  maxDelayMs?: number;
}

const CONNECT_TIMEOUT_MS = 10_000;
const WATCHDOG_MS = 20_000;

export function backoffDelay(attempt: number, min = 500, max = 15_000): number {
  const base = Math.min(max, min * Math.pow(2, attempt));
  // "Equal jitter": half fixed, half random, so retries spread out but never
  // collapse to zero.
  const jittered = base / 2 + Math.random() * (base / 2);
  return Math.round(Math.max(min, Math.min(max, jittered)));
}

export class ReconnectingSocket {
  state: ConnState = "idle";
  private ws: WebSocket | null = null;
  private attempt = 0;
  private refusals = 0;
  private everOpened = false;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private heartbeatTimer: ReturnType<typeof setInterval> | null = null;
  private watchdogTimer: ReturnType<typeof setTimeout> | null = null;
  private connectTimer: ReturnType<typeof setTimeout> | null = null;
  private stopped = false;
  /** When the next automatic attempt is due (ms epoch), for "retrying in …". */
  nextAttemptAt = 0;

  constructor(private o: SocketOptions) {
    if (typeof window !== "undefined") {
      window.addEventListener("online", () => this.reconnectNow());
      // The browser knows the network is gone: don't wait for the watchdog,
      // treat the socket as lost now so unsent messages show "retry" at once.
      window.addEventListener("offline", () => {
        if (this.ws && !this.stopped) this.lost(this.ws, true);
      });
      document.addEventListener("visibilitychange", () => {
        if (document.visibilityState === "visible" && !this.ws && !this.stopped && this.state !== "idle") {
          this.reconnectNow();
        }
      });
    }
  }

  start(): void {
    if (this.ws || this.retryTimer) return;
    this.stopped = false;
    void this.connect();
  }

  stop(): void {
    this.stopped = true;
    this.clearTimers();
    const ws = this.ws;
    this.ws = null;
    if (ws) this.detach(ws, true);
    this.setState("stopped");
  }

  get isOpen(): boolean {
    return !!this.ws && this.ws.readyState === WebSocket.OPEN && this.state === "open";
  }

  /** Sends a JSON frame; false when the socket is not open. */
  send(frame: object): boolean {
    if (!this.isOpen || !this.ws) return false;
    try {
      this.ws.send(JSON.stringify(frame));
      return true;
    } catch {
      return false;
    }
  }

  /** Skips the backoff wait (user clicked "Reconnect", network came back). */
  reconnectNow(): void {
    if (this.stopped) return;
    if (this.ws) return;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.attempt = 0;
    void this.connect();
  }

  /** Drops the current socket and connects again at once (fresh credential). */
  reconnect(): void {
    if (this.stopped) return;
    const ws = this.ws;
    if (ws) {
      this.lost(ws, true);
      if (this.retryTimer) clearTimeout(this.retryTimer);
      this.retryTimer = null;
    }
    this.attempt = 0;
    void this.connect();
  }

  /** Checks a possibly half-dead socket: a heartbeat must be answered soon. */
  probe(): void {
    if (!this.isOpen) return;
    this.heartbeat();
  }

  private setState(s: ConnState): void {
    if (this.state === s) return;
    this.state = s;
    this.o.onState?.(s);
  }

  private clearTimers(): void {
    for (const t of [this.retryTimer, this.watchdogTimer, this.connectTimer]) if (t) clearTimeout(t);
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.retryTimer = this.watchdogTimer = this.connectTimer = this.heartbeatTimer = null;
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    this.setState(this.everOpened ? "reconnecting" : "connecting");
    let url: string;
    try {
      url = await this.o.url();
    } catch {
      this.scheduleRetry();
      return;
    }
    if (this.stopped || this.ws) return;
    let ws: WebSocket;
    try {
      ws = new WebSocket(url);
    } catch {
      this.scheduleRetry();
      return;
    }
    this.ws = ws;
    let opened = false;
    this.connectTimer = setTimeout(() => {
      if (!opened && this.ws === ws) this.lost(ws, false);
    }, CONNECT_TIMEOUT_MS);
    ws.onopen = () => {
      if (this.ws !== ws) return;
      opened = true;
      if (this.connectTimer) clearTimeout(this.connectTimer);
      this.connectTimer = null;
      const resumed = this.everOpened;
      this.everOpened = true;
      this.attempt = 0;
      this.refusals = 0;
      this.setState("open");
      this.heartbeatTimer = setInterval(() => this.heartbeat(), this.o.heartbeatMs ?? 60_000);
      try {
        this.o.onOpen(resumed);
      } catch (e) {
        console.error("[flowhub] onOpen failed", e);
      }
    };
    ws.onmessage = (ev) => {
      if (this.ws !== ws) return;
      if (this.watchdogTimer) clearTimeout(this.watchdogTimer);
      this.watchdogTimer = null;
      let data: unknown;
      try {
        data = JSON.parse(typeof ev.data === "string" ? ev.data : "");
      } catch {
        return;
      }
      try {
        this.o.onMessage(data);
      } catch (e) {
        console.error("[flowhub] event handler failed", e);
      }
    };
    ws.onclose = () => {
      if (this.ws === ws) this.lost(ws, opened);
    };
    ws.onerror = () => {
      /* onclose follows */
    };
  }

  private heartbeat(): void {
    if (!this.send({ action: "heartbeat" })) return;
    if (this.watchdogTimer) return;
    const ws = this.ws;
    this.watchdogTimer = setTimeout(() => {
      this.watchdogTimer = null;
      if (ws && this.ws === ws) this.lost(ws, true);
    }, WATCHDOG_MS);
  }

  private detach(ws: WebSocket, close: boolean): void {
    ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
    if (close) {
      try {
        ws.close();
      } catch {
        /* already closed */
      }
    }
  }

  private lost(ws: WebSocket, wasOpen: boolean): void {
    this.detach(ws, true);
    this.ws = null;
    this.clearTimers();
    if (this.stopped) return;
    if (this.everOpened) this.setState("reconnecting");
    try {
      this.o.onClose?.();
    } catch (e) {
      console.error("[flowhub] onClose failed", e);
    }
    if (!wasOpen && this.o.onRefused) {
      this.refusals += 1;
      const n = this.refusals;
      Promise.resolve()
        .then(() => this.o.onRefused!(n))
        .catch(() => true)
        .then((carryOn) => {
          if (carryOn === false) this.stop();
          else this.scheduleRetry();
        });
      return;
    }
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.stopped || this.retryTimer) return;
    const delay = backoffDelay(this.attempt++, this.o.minDelayMs, this.o.maxDelayMs);
    this.nextAttemptAt = Date.now() + delay;
    this.setState(this.everOpened ? "reconnecting" : "connecting");
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.connect();
    }, delay);
  }
}

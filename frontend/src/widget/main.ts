// The customer chat widget. Embedded with one script tag:
//   <script src="https://HUB/widget.js" data-widget-key="wk_…" async></script>
// It reads config.json from the directory of its own script URL, renders in a
// shadow root, defines at most window.FlowHubWidget and never throws into the
// host page.

import { apiFetch, ApiError, loadConfig } from "../shared/api";
import { ChatClient, Thread, type ChatMessage, type ThreadData } from "../shared/chat";
import { h, icon, ICONS, nearBottom, reconcile } from "../shared/dom";
import { renderText } from "../shared/linkify";
import type { ConnState } from "../shared/socket";
import { MAX_TEXT, type DeliveryState, type HubConfig, type Person, type ServerEvent } from "../shared/types";
import { formatTime, storageGet, storageSet, toMs, uuid } from "../shared/util";
import { COUNTRIES, fmt, localeRegion, pickLang, strings, systemLine, type Strings } from "./i18n";
import css from "./widget.css";

const VERSION = "0.1.0";
const AVAILABILITY_POLL_MS = 60_000;

interface Session {
  token: string;
  customer_id: string;
  tenant: string;
  expires_at: string | number;
}

interface Stored {
  session?: Session | null;
  thread?: ThreadData | null;
  open?: boolean;
  /** The callback this visitor asked for, with its state as the hub last told it. */
  callback?: StoredCallback | null;
}

const WINDOWS = ["asap", "morning", "afternoon", "evening"] as const;

type CallbackState = "queued" | "calling" | "completed" | "failed" | "cancelled";

interface StoredCallback {
  id: string;
  phone: string;
  window: string;
  status?: CallbackState;
  not_before?: string | null;
}

/** A callback that is over: the visitor may ask for another one. */
function finished(cb: StoredCallback | null | undefined): boolean {
  return !!cb && (cb.status === "completed" || cb.status === "failed" || cb.status === "cancelled");
}

interface Options {
  scriptSrc: string;
  widgetKey: string;
  lang: "en" | "sv";
  title?: string | null;
  name?: string | null;
  color?: string | null;
}

type Status = "idle" | "connecting" | "reconnecting" | "online" | "offline" | "error";

function report(where: string, e: unknown): void {
  try {
    console.warn(`[flowhub] ${where}:`, e);
  } catch {
    /* console unavailable */
  }
}

/** Wraps an event handler so nothing escapes into the host page. */
function guard<A extends unknown[]>(where: string, fn: (...args: A) => unknown): (...args: A) => void {
  return (...args: A) => {
    try {
      const r = fn(...args);
      if (r && typeof (r as Promise<unknown>).catch === "function") (r as Promise<unknown>).catch((e) => report(where, e));
    } catch (e) {
      report(where, e);
    }
  };
}

class Widget {
  private t: Strings;
  private storeKey: string;
  private stored: Stored;
  private cfg: HubConfig | null = null;
  private client: ChatClient | null = null;
  private thread: Thread;
  private booting: Promise<void> | null = null;
  private isOpen = false;
  private available: boolean | null = null;
  /** What the hub lets the widget offer a visitor now: chat, or leave a message / call me back. */
  private offer: "chat" | "callback" | null = null;
  /** The visitor's place in the queue while they wait for an agent (1 = next). */
  private queuePlace: number | null = null;
  private defaultRegion: string | null = null;
  private queueLine!: HTMLDivElement;
  private conn: ConnState = "idle";
  private fatal: string | null = null;
  private startRequest = "";
  private resetting = false;
  private pollTimer: ReturnType<typeof setInterval> | null = null;
  private saveTimer: ReturnType<typeof setTimeout> | null = null;

  // Elements (inside the shadow root).
  private root!: HTMLDivElement;
  private launcher!: HTMLButtonElement;
  private badge!: HTMLSpanElement;
  private panel!: HTMLElement;
  private status!: HTMLDivElement;
  private statusText!: HTMLSpanElement;
  private banner!: HTMLDivElement;
  private log!: HTMLDivElement;
  private list!: HTMLOListElement;
  private greeting!: HTMLLIElement;
  private typing!: HTMLDivElement;
  private input!: HTMLTextAreaElement;
  private sendBtn!: HTMLButtonElement;
  private limit!: HTMLDivElement;
  private cbBox!: HTMLDivElement;
  private cbForm: HTMLFormElement | null = null;

  constructor(private o: Options) {
    this.t = strings(o.lang);
    this.storeKey = `flowhub.widget.${o.widgetKey}`;
    this.stored = storageGet<Stored>("local", this.storeKey) || {};
    this.thread = this.stored.thread && this.stored.thread.id ? Thread.fromData(this.stored.thread) : new Thread("");
    if (this.stored.thread && !this.stored.thread.id) {
      // Messages typed before a conversation existed: keep them queued.
      this.thread.outbox = Thread.fromData(this.stored.thread).outbox;
    }
  }

  // ---- mounting -------------------------------------------------------------

  mount(): void {
    const host = document.createElement("flowhub-widget");
    host.setAttribute("style", "position:fixed;z-index:2147483000;right:0;bottom:0;width:0;height:0;");
    host.setAttribute("data-flowhub", VERSION);
    const shadow = host.attachShadow({ mode: "open" });
    const style = document.createElement("style");
    style.textContent = css;
    shadow.appendChild(style);
    if (this.o.color && /^#[0-9a-f]{3,8}$/i.test(this.o.color)) host.style.setProperty("--fh-accent", this.o.color);

    const t = this.t;
    this.badge = h("span", { className: "badge", "aria-hidden": "true", hidden: true });
    this.launcher = h(
      "button",
      {
        className: "launcher",
        type: "button",
        "data-testid": "launcher",
        "aria-label": t.openChat,
        "aria-expanded": "false",
        "aria-controls": "fh-panel",
        onClick: guard("toggle", () => this.toggle()),
      },
      icon(ICONS.chat, 26),
      this.badge,
    );

    this.statusText = h("span", { className: "status-text" });
    this.status = h(
      "div",
      { className: "status", "data-testid": "widget-status", "data-state": "idle", role: "status" },
      h("span", { className: "dot", "aria-hidden": "true" }),
      this.statusText,
    );
    this.banner = h("div", { className: "banner", hidden: true, role: "alert" });
    this.queueLine = h("div", { className: "queue", hidden: true, role: "status", "data-testid": "widget-queue" });
    this.greeting = h("li", { className: "greeting" }, t.greetingOnline);
    // The list sits inside the live region: a role on the <ol> itself would
    // hide its items' list semantics from assistive technology (axe: listitem).
    this.list = h("ol", { className: "log-list" });
    this.log = h("div", {
      className: "log",
      role: "log",
      "aria-live": "polite",
      "aria-label": t.log,
      tabindex: "0",
      "data-testid": "widget-log",
    });
    this.log.appendChild(this.list);
    this.typing = h("div", { className: "typing", "data-testid": "widget-typing", "aria-live": "polite", hidden: true });
    this.input = h("textarea", {
      id: "fh-input",
      rows: "1",
      placeholder: t.placeholder,
      "data-testid": "widget-input",
      "aria-describedby": "fh-limit",
      autocomplete: "off",
      onInput: guard("input", () => this.onInput()),
      onKeydown: guard("keydown", (e: KeyboardEvent) => {
        if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
          e.preventDefault();
          this.submit();
        }
      }),
    });
    this.sendBtn = h("button", { className: "send", type: "submit", "data-testid": "widget-send", "aria-label": t.send, disabled: true }, icon(ICONS.send, 18));
    this.limit = h("div", { className: "limit", id: "fh-limit", hidden: true, "aria-live": "polite" });
    const form = h(
      "form",
      {
        className: "composer",
        onSubmit: guard("submit", (e: Event) => {
          e.preventDefault();
          this.submit();
        }),
      },
      h("label", { className: "sr", for: "fh-input" }, t.inputLabel),
      this.input,
      this.sendBtn,
    );
    this.panel = h(
      "section",
      { className: "panel", id: "fh-panel", role: "dialog", "aria-label": this.o.title || t.title, hidden: true },
      h(
        "header",
        { className: "head" },
        h("div", { className: "avatar", "aria-hidden": "true" }, icon(ICONS.chat, 20)),
        h("div", { className: "titles" }, h("h2", null, this.o.title || t.title), this.status),
        h("button", { className: "close", type: "button", "aria-label": t.closeChat, onClick: guard("close", () => this.close(true)) }, icon(ICONS.close, 20)),
      ),
      this.banner,
      this.queueLine,
      this.log,
      this.typing,
      (this.cbBox = h("div", { className: "cb", "data-testid": "widget-callback" })),
      this.limit,
      form,
      h("div", { className: "foot" }, t.poweredBy),
    );
    this.root = h("div", { className: "root", lang: this.o.lang }, this.panel, this.launcher);
    this.root.addEventListener(
      "keydown",
      guard("escape", (e: KeyboardEvent) => {
        if (e.key === "Escape" && this.isOpen) {
          e.stopPropagation();
          this.close(true);
        }
      }),
    );
    shadow.appendChild(this.root);
    document.body.appendChild(host);

    this.renderMessages();
    this.renderStatus();
    // A returning customer: reconnect in the background (new replies arrive
    // and show on the launcher); reopen when the chat was open before reload.
    if (this.stored.open) this.open(false);
    else if (this.thread.id || this.thread.outbox.length) this.boot();
  }

  // ---- open / close ---------------------------------------------------------

  toggle(): void {
    if (this.isOpen) this.close(true);
    else this.open(true);
  }

  open(focus = true): void {
    this.isOpen = true;
    this.panel.hidden = false;
    this.root.classList.add("open");
    this.launcher.setAttribute("aria-expanded", "true");
    this.launcher.setAttribute("aria-label", this.t.closeChat);
    this.stored.open = true;
    this.save();
    this.renderMessages(true);
    if (focus) setTimeout(() => this.input.focus(), 0);
    this.boot();
    this.client?.markRead(this.thread);
    this.startPolling();
  }

  close(focusLauncher: boolean): void {
    this.isOpen = false;
    this.panel.hidden = true;
    this.root.classList.remove("open");
    this.launcher.setAttribute("aria-expanded", "false");
    this.stored.open = false;
    this.save();
    if (this.client) this.client.stopTyping(this.thread);
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.pollTimer = null;
    this.renderBadge();
    if (focusLauncher) this.launcher.focus();
  }

  // ---- connecting -----------------------------------------------------------

  private boot(): void {
    if (this.booting) return;
    this.booting = this.doBoot().catch((e) => {
      this.booting = null;
      report("boot", e);
      if (!this.fatal) {
        // Config or network failure: show it and try again a bit later.
        this.conn = "connecting";
        this.renderStatus();
        setTimeout(() => this.boot(), 5_000);
      }
    });
  }

  private async doBoot(): Promise<void> {
    this.conn = "connecting";
    this.renderStatus();
    const cfgUrl = new URL("config.json", this.o.scriptSrc).href;
    this.cfg = await loadConfig(cfgUrl);
    await this.ensureSession(false);
    void this.refreshAvailability();
    void this.refreshCallback();
    const client = new ChatClient({
      me: () => this.me(),
      url: async () => {
        const token = await this.ensureSession(false);
        const sep = this.cfg!.wsUrl.includes("?") ? "&" : "?";
        return `${this.cfg!.wsUrl}${sep}session=${encodeURIComponent(token)}`;
      },
      onOpen: () => this.sendStart(),
      onRefused: () => {
        // Maybe the session token expired: get a fresh one next attempt.
        if (this.stored.session) this.stored.session.expires_at = 0;
        return !this.fatal;
      },
      onEvent: (ev) => this.onEvent(ev),
      onChange: () => {
        this.renderMessages();
        this.save();
      },
      onConnState: (s) => {
        this.conn = s;
        this.renderStatus();
      },
      isVisible: () => this.isOpen,
    });
    this.client = client;
    client.adopt(this.thread);
    client.start();
  }

  private me(): Person {
    return { role: "customer", id: this.stored.session?.customer_id || "", name: this.o.name || "" };
  }

  private async ensureSession(force: boolean): Promise<string> {
    const s = this.stored.session;
    const ms = s ? toMs(s.expires_at) : NaN;
    if (s && s.token && !force && (!isFinite(ms) || ms - Date.now() > 60_000)) return s.token;
    const body: Record<string, string> = { widget_key: this.o.widgetKey };
    if (s && s.token) body.previous_token = s.token;
    if (this.o.name) body.name = this.o.name;
    let fresh: Session;
    try {
      fresh = await apiFetch<Session>(this.cfg!.apiUrl, "/widget/session", { method: "POST", body });
    } catch (e) {
      if (e instanceof ApiError && (e.status === 403 || e.status === 404 || e.status === 400)) {
        this.fatal = this.t.unavailable;
        this.renderStatus();
        this.client?.stop();
      }
      throw e;
    }
    if (s && s.customer_id && fresh.customer_id !== s.customer_id) {
      // A new identity cannot see the old thread: start over.
      this.resetThread();
    }
    this.stored.session = fresh;
    this.save();
    return fresh.token;
  }

  private async refreshAvailability(): Promise<void> {
    if (!this.cfg) return;
    try {
      const r = await apiFetch<{ agents_available: boolean; offer?: "chat" | "callback"; default_region?: string | null }>(
        this.cfg.apiUrl,
        `/widget/availability?widget_key=${encodeURIComponent(this.o.widgetKey)}`,
      );
      this.available = !!r.agents_available;
      this.offer = r.offer || (r.agents_available ? "chat" : "callback");
      this.defaultRegion = r.default_region || null;
      this.renderStatus();
    } catch (e) {
      report("availability", e);
    }
  }

  /** After a reload: the state of the callback this visitor asked for (it may have moved on). */
  private async refreshCallback(): Promise<void> {
    const cb = this.stored.callback;
    if (!this.cfg || !cb || finished(cb)) return;
    try {
      const token = await this.ensureSession(false);
      const r = await apiFetch<{ callback: { status: CallbackState; not_before: string | null } }>(
        this.cfg.apiUrl,
        `/widget/callbacks/${encodeURIComponent(cb.id)}`,
        { token },
      );
      this.applyCallback({ ...cb, status: r.callback.status, not_before: r.callback.not_before });
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) this.applyCallback(null);
      else report("callback", e);
    }
  }

  private applyCallback(cb: StoredCallback | null): void {
    this.stored.callback = cb;
    this.save();
    this.renderCallback();
  }

  private startPolling(): void {
    if (this.pollTimer) return;
    this.pollTimer = setInterval(() => void this.refreshAvailability(), AVAILABILITY_POLL_MS);
  }

  private sendStart(): void {
    if (!this.client) return;
    this.startRequest = `start-${uuid().slice(0, 8)}`;
    const frame: Record<string, string> = { action: "start", request_id: this.startRequest };
    if (this.thread.id) frame.conversation_id = this.thread.id;
    this.client.sendAction(frame);
  }

  private resetThread(): void {
    const pending = this.thread.outbox.filter((m) => m.pending !== "failed");
    if (this.client) this.client.forget(this.thread.id);
    this.thread = new Thread("");
    this.stored.callback = null;
    this.thread.outbox = pending.map((m) => ({ ...m, conversation_id: "", pending: "retry" as const }));
    if (this.client) this.client.adopt(this.thread);
    this.renderMessages();
    this.save();
  }

  private onEvent(ev: ServerEvent): void {
    const client = this.client;
    if (!client) return;
    if (ev.type === "availability") {
      // Told live, and only when it flips: someone can answer, or nobody can (or recovery mode).
      this.available = ev.agents_available;
      this.offer = ev.offer;
      this.renderStatus();
      return;
    }
    if (ev.type === "queue") {
      if (ev.conversation_id === this.thread.id) this.setQueuePlace(ev.place);
      return;
    }
    if (ev.type === "callback_status") {
      const cb = this.stored.callback;
      if (cb && cb.id === ev.callback.id) this.applyCallback({ ...cb, status: ev.callback.status, not_before: ev.callback.not_before });
      return;
    }
    if (ev.type === "conversation") {
      if (typeof ev.agents_available === "boolean") {
        this.available = ev.agents_available;
        this.offer = ev.offer || (ev.agents_available ? "chat" : "callback");
        this.renderStatus();
      }
      const conv = ev.conversation;
      if (!conv || !conv.id) return;
      if (!this.thread.id || conv.id === this.thread.id) {
        // Out of the queue once someone owns it; its place when the hub says.
        if (conv.owner || conv.queued === false) this.setQueuePlace(null);
        else if (conv.queue_place) this.setQueuePlace(conv.queue_place);
      }
      if (!this.thread.id && (ev.request_id === this.startRequest || !ev.request_id)) {
        client.rename(this.thread, conv.id);
        this.resetting = false;
        client.requestSync(this.thread);
        client.flush(this.thread);
        this.save();
      }
    } else if (ev.type === "error") {
      if (ev.code === "session_expired") {
        if (this.stored.session) this.stored.session.expires_at = 0;
        client.socket.reconnect();
      } else if (
        ev.code === "not_found" &&
        (ev.action === "start" || ev.action === "sync") &&
        this.thread.id &&
        (!ev.conversation_id || ev.conversation_id === this.thread.id) &&
        !this.resetting
      ) {
        // The stored conversation is not ours (any more): open a new one.
        this.resetting = true;
        this.resetThread();
        this.sendStart();
      }
    }
  }

  private setQueuePlace(place: number | null): void {
    if (place === this.queuePlace) return;
    this.queuePlace = place;
    const el = this.queueLine;
    el.hidden = place == null;
    el.setAttribute("data-place", place == null ? "" : String(place));
    el.textContent = place == null ? "" : place === 1 ? this.t.queueNext : fmt(this.t.queuePlace, { n: place });
  }

  // ---- composing ------------------------------------------------------------

  private onInput(): void {
    const el = this.input;
    el.style.height = "auto";
    el.style.height = `${Math.min(120, el.scrollHeight)}px`;
    const len = el.value.length;
    const over = len - MAX_TEXT;
    this.limit.hidden = over <= 0;
    this.limit.textContent = over > 0 ? fmt(this.t.tooLong, { n: over }) : "";
    this.sendBtn.disabled = !el.value.trim() || over > 0;
    if (el.value.trim() && this.client) this.client.userTyping(this.thread);
    else if (this.client) this.client.stopTyping(this.thread);
  }

  private submit(): void {
    const text = this.input.value.trim();
    if (!text || text.length > MAX_TEXT) return;
    this.input.value = "";
    this.onInput();
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
    this.renderMessages(true);
    this.save();
    this.input.focus();
  }

  // ---- rendering ------------------------------------------------------------

  private renderStatus(): void {
    const t = this.t;
    let state: Status;
    let text: string;
    if (this.fatal) {
      state = "error";
      text = this.fatal;
    } else if (this.conn === "reconnecting") {
      state = "reconnecting";
      text = t.reconnecting;
    } else if (this.conn === "connecting" || (this.conn === "idle" && this.booting)) {
      state = "connecting";
      text = t.connecting;
    } else if (this.available === false || this.offer === "callback") {
      state = "offline";
      text = t.offline;
    } else {
      state = "online";
      text = t.online;
    }
    this.input.disabled = state === "error";
    this.status.setAttribute("data-state", state);
    this.statusText.textContent = text;
    this.greeting.textContent = this.available === false || this.offer === "callback" ? t.greetingOffline : t.greetingOnline;
    this.renderCallback();
    const showBanner = state === "reconnecting" || state === "error";
    this.banner.hidden = !showBanner;
    if (showBanner) {
      this.banner.textContent = "";
      this.banner.append(icon(ICONS.alert, 14), text);
    }
  }

  // ---- callback request -----------------------------------------------------

  /** The offer (prominent when nobody is available), the form, or what was requested. */
  private renderCallback(): void {
    const box = this.cbBox;
    if (!box) return;
    const t = this.t;
    if (this.cbForm) {
      if (this.cbForm.parentNode !== box) {
        box.textContent = "";
        box.appendChild(this.cbForm);
      }
      box.className = "cb form";
      return;
    }
    box.textContent = "";
    const done = this.stored.callback;
    if (done) {
      // The request's real state, live (queued, calling, completed, failed, cancelled); once it
      // is over the visitor may ask again.
      const status = done.status || "queued";
      const vars = { phone: done.phone, window: (t as Record<string, string>)[done.window] || done.window };
      const words: Record<CallbackState, string> = {
        queued: t.cbQueued,
        calling: t.cbCalling,
        completed: t.cbCompleted,
        failed: t.cbFailedState,
        cancelled: t.cbCancelled,
      };
      let text = fmt(words[status] || t.cbQueued, vars);
      const from = done.not_before ? toMs(done.not_before) : NaN;
      if (status === "queued" && isFinite(from) && from - Date.now() > 60_000) {
        const at = new Date(from).toLocaleTimeString(this.o.lang === "sv" ? "sv-SE" : undefined, { hour: "2-digit", minute: "2-digit" });
        text += ` (${fmt(t.cbFrom, { time: at })})`;
      }
      box.className = `cb done ${status}`;
      box.append(
        h(
          "div",
          { className: "cb-done", role: "status", "data-testid": "widget-callback-status", "data-status": status },
          icon(status === "failed" || status === "cancelled" ? ICONS.alert : ICONS.check, 16),
          text,
        ),
      );
      if (finished(done)) {
        box.append(
          h(
            "button",
            { className: "cb-open", type: "button", "data-testid": "widget-callback-again", onClick: guard("cb-again", () => { this.stored.callback = null; this.save(); this.openCallbackForm(); }) },
            icon(ICONS.phone, 15),
            t.cbAgain,
          ),
        );
      }
      return;
    }
    if (this.fatal || !this.cfg) {
      box.className = "cb";
      return;
    }
    const open = h("button", { className: "cb-open", type: "button", "data-testid": "widget-callback-open", onClick: guard("cb-open", () => this.openCallbackForm()) }, icon(ICONS.phone, 15), t.cbRequest);
    if (this.available === false || this.offer === "callback") {
      box.className = "cb offer";
      box.append(h("p", null, t.cbOffer), open);
    } else {
      box.className = "cb quiet";
      open.textContent = t.cbPrefer;
      box.append(open);
    }
  }

  private openCallbackForm(): void {
    const t = this.t;
    const phone = h("input", { id: "fh-cb-phone", type: "tel", autocomplete: "tel", required: true, placeholder: t.cbPhoneHint, "data-testid": "widget-callback-phone" });
    const when = h(
      "select",
      { id: "fh-cb-window", "data-testid": "widget-callback-window" },
      ...WINDOWS.map((w) => h("option", { value: w }, (t as Record<string, string>)[w])),
    );
    const reason = h("textarea", { id: "fh-cb-reason", rows: "2", maxlength: "500", "data-testid": "widget-callback-reason" });
    // A number without a country code is read in this country: the shop's own region (the hub's
    // default_region: a local shop's callers mostly have local numbers, whatever language their
    // browser speaks), else the visitor's locale; the visitor can change it.
    const preset = this.defaultRegion || localeRegion(navigator.language) || (this.o.lang === "sv" ? "SE" : "");
    const known = COUNTRIES.some(([code]) => code === preset);
    const country = h(
      "select",
      { id: "fh-cb-country", "data-testid": "widget-callback-country" },
      ...(known || !preset ? [] : [h("option", { value: preset }, preset)]),
      ...COUNTRIES.map(([code, label]) => h("option", { value: code }, label)),
    );
    country.value = preset || "SE";
    const error = h("div", { className: "cb-error", role: "alert", hidden: true });
    const submit = h("button", { className: "cb-submit", type: "submit", "data-testid": "widget-callback-submit" }, t.cbSubmit);
    const form = h(
      "form",
      {
        "aria-label": t.cbTitle,
        onSubmit: guard("cb-submit", async (e: Event) => {
          e.preventDefault();
          const number = phone.value.trim();
          if (!/\d{5,}/.test(number.replace(/[\s().-]/g, ""))) {
            error.textContent = t.cbBadPhone;
            error.hidden = false;
            phone.focus();
            return;
          }
          error.hidden = true;
          submit.disabled = true;
          submit.textContent = t.cbSending;
          try {
            await this.requestCallback(number, when.value, reason.value.trim(), country.value);
            this.cbForm = null;
            this.renderCallback();
          } catch (err) {
            const bad = err instanceof ApiError && err.status === 400 && /phone/i.test(err.message);
            error.textContent = bad ? t.cbBadPhone : t.cbFailed;
            error.hidden = false;
            submit.disabled = false;
            submit.textContent = t.cbSubmit;
            if (bad) phone.focus();
          }
        }),
      },
      h("strong", { className: "cb-title" }, t.cbTitle),
      error,
      h("div", { className: "cb-phone-row" },
        h("div", { className: "cb-field country" }, h("label", { for: "fh-cb-country" }, t.cbCountry), country),
        h("div", { className: "cb-field number" }, h("label", { for: "fh-cb-phone" }, t.cbPhone), phone),
      ),
      h("label", { for: "fh-cb-window" }, t.cbWindow),
      when,
      h("label", { for: "fh-cb-reason" }, t.cbReason),
      reason,
      h(
        "div",
        { className: "cb-row" },
        h("button", { className: "cb-cancel", type: "button", onClick: guard("cb-cancel", () => { this.cbForm = null; this.renderCallback(); }) }, t.cbCancel),
        submit,
      ),
    );
    this.cbForm = form;
    this.renderCallback();
    phone.focus();
  }

  private async requestCallback(phone: string, window: string, reason: string, region: string): Promise<void> {
    if (!this.cfg) throw new Error("not configured");
    const token = await this.ensureSession(false);
    const body: Record<string, string> = { phone, window };
    if (reason) body.reason = reason;
    if (this.thread.id) body.conversation_id = this.thread.id;
    if (/^[A-Z]{2}$/.test(region)) body.region = region;
    const r = await apiFetch<{ callback: { id: string; phone: string; window: string; not_before?: string | null } }>(
      this.cfg.apiUrl,
      "/widget/callbacks",
      { method: "POST", body, token },
    );
    this.stored.callback = {
      id: r.callback.id,
      phone: r.callback.phone,
      window: r.callback.window || window,
      status: "queued",
      not_before: r.callback.not_before ?? null,
    };
    this.save();
  }

  private renderBadge(): void {
    const n = this.unreadCount();
    this.badge.hidden = this.isOpen || n === 0;
    this.badge.textContent = n > 9 ? "9+" : String(n);
    const label = this.isOpen
      ? this.t.closeChat
      : n > 0
        ? `${this.t.openChat} (${n === 1 ? this.t.unreadOne : fmt(this.t.unreadMany, { n })})`
        : this.t.openChat;
    this.launcher.setAttribute("aria-label", label);
  }

  private unreadCount(): number {
    let n = 0;
    for (const m of this.thread.bySeq.values()) {
      if (!m.own && m.kind === "text" && (m.seq ?? 0) > this.thread.readSent) n++;
    }
    return n;
  }

  private renderMessages(forceScroll = false): void {
    const log = this.log;
    const stick = forceScroll || nearBottom(log);
    const messages = this.thread.messages().filter((m) => m.kind !== "note");
    const client = this.client;
    const stateOf = (m: ChatMessage): DeliveryState | undefined =>
      client ? client.stateOf(m, this.thread) : m.own ? (m.pending ?? "sent") : undefined;
    let lastOwn = "";
    for (const m of messages) if (m.own) lastOwn = m.key;
    type Item = { m: ChatMessage | null; state?: DeliveryState; last: boolean };
    const items: Item[] = [{ m: null, last: false }];
    for (const m of messages) items.push({ m, state: stateOf(m), last: m.key === lastOwn });
    reconcile<Item>(
      this.list,
      items,
      (it) => (it.m ? it.m.key : "greeting"),
      (it) => (it.m ? `${it.m.seq}|${it.state}|${it.last}|${it.m.author.name}` : "greeting"),
      (it) => (it.m ? this.renderMessage(it.m, it.state, it.last) : this.greeting),
    );
    if (stick) log.scrollTop = log.scrollHeight;
    this.renderTyping();
    this.renderBadge();
  }

  private renderMessage(m: ChatMessage, state: DeliveryState | undefined, lastOwn: boolean): HTMLLIElement {
    const t = this.t;
    const cls = m.kind === "system" || m.author.role === "system" ? "system" : m.own ? "own" : "them";
    const li = h("li", {
      className: `msg ${cls}`,
      "data-testid": "widget-message",
      "data-seq": m.seq ?? "",
      "data-state": state ?? null,
      "data-author": m.author.role,
    });
    if (cls === "them") li.appendChild(h("div", { className: "who" }, m.author.name || t.support));
    const bubble = h("div", { className: "bubble" });
    // A system line is worded in the widget's language from its code (the hub's English text
    // is the fallback for a code this widget does not know).
    const said = cls === "system" ? systemLine(this.o.lang, m.code, m.params) : null;
    renderText(bubble, said ?? m.text);
    li.appendChild(bubble);
    if (cls === "system") return li;
    const meta = h("div", { className: "meta" });
    const time = formatTime(m.created_at, this.o.lang === "sv" ? "sv-SE" : undefined);
    if (time) meta.appendChild(h("time", { datetime: m.created_at }, time));
    if (m.own && state) {
      const showLabel = lastOwn || !["sent", "delivered", "read"].includes(state);
      const ic =
        state === "read" || state === "delivered"
          ? ICONS.checks
          : state === "sending"
            ? ICONS.clock
            : state === "retry" || state === "failed"
              ? ICONS.alert
              : ICONS.check;
      const label = (t as Record<string, string>)[state] || state;
      meta.appendChild(
        h("span", { className: "state", "data-state": state, title: label }, icon(ic, 14), showLabel ? label : h("span", { className: "sr" }, label)),
      );
      if (state === "retry" || state === "failed") {
        meta.appendChild(
          h(
            "button",
            {
              className: "retry",
              type: "button",
              "data-testid": "widget-retry",
              onClick: guard("retry", () => {
                if (this.client) this.client.retry(this.thread, m.client_id);
                else this.boot();
              }),
            },
            t.retryButton,
          ),
        );
      }
      if (m.error) meta.appendChild(h("span", { className: "sr" }, m.error));
    }
    li.appendChild(meta);
    return li;
  }

  private renderTyping(): void {
    const typers = this.thread.typers().filter((x) => !x.note && x.by.role !== "customer");
    const el = this.typing;
    el.textContent = "";
    if (!typers.length) {
      el.hidden = true;
      return;
    }
    el.hidden = false;
    const names = typers.map((x) => x.by.name || this.t.support).join(", ");
    el.append(h("span", { className: "dots", "aria-hidden": "true" }, h("i"), h("i"), h("i")), fmt(this.t.typing, { name: names }));
  }

  private save(): void {
    if (this.saveTimer) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = null;
      this.stored.thread = this.thread.toData();
      storageSet("local", this.storeKey, this.stored);
    }, 50);
  }

  flushSave(): void {
    if (this.saveTimer) clearTimeout(this.saveTimer);
    this.saveTimer = null;
    this.stored.thread = this.thread.toData();
    storageSet("local", this.storeKey, this.stored);
  }
}

declare global {
  interface Window {
    FlowHubWidget?: { version: string; open(): void; close(): void; toggle(): void };
  }
}

(function init() {
  try {
    if (window.FlowHubWidget) return; // loaded twice: keep the first
    const script =
      (document.currentScript as HTMLScriptElement | null) ||
      (document.querySelector("script[data-widget-key]") as HTMLScriptElement | null);
    const src = (script && script.src) || "";
    const key = script?.getAttribute("data-widget-key") || "";
    if (!src || !key) {
      report("init", "the widget script tag needs a src and data-widget-key");
      return;
    }
    const widget = new Widget({
      scriptSrc: src,
      widgetKey: key,
      lang: pickLang(script?.getAttribute("data-lang")),
      title: script?.getAttribute("data-title"),
      name: script?.getAttribute("data-customer-name"),
      color: script?.getAttribute("data-color"),
    });
    window.FlowHubWidget = {
      version: VERSION,
      open: guard("open", () => widget.open(true)),
      close: guard("close", () => widget.close(false)),
      toggle: guard("toggle", () => widget.toggle()),
    };
    const mount = guard("mount", () => widget.mount());
    if (document.body) mount();
    else document.addEventListener("DOMContentLoaded", mount, { once: true });
    window.addEventListener("pagehide", guard("pagehide", () => widget.flushSave()));
  } catch (e) {
    report("init", e);
  }
})();

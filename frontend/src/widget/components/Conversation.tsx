// The thread as the customer sees it: a greeting, then every message in order
// (notes never reach the widget) with its delivery state, and who is typing.
// The log stays pinned to the bottom while the customer is there.

import { useLayoutEffect, useRef } from "preact/hooks";
import type { ChatMessage } from "../../shared/chat";
import { nearBottom } from "../../shared/dom";
import type { DeliveryState } from "../../shared/types";
import { Icon, ICONS, RichText } from "../../shared/ui";
import { formatTime } from "../../shared/util";
import { fmt, systemLine } from "../i18n";
import { useWidget } from "./context";

const QUIET_STATES: ReadonlySet<string> = new Set(["sent", "delivered", "read"]);

function stateIcon(state: DeliveryState): string[] {
  if (state === "read" || state === "delivered") return ICONS.checks;
  if (state === "sending") return ICONS.clock;
  if (state === "retry" || state === "failed") return ICONS.alert;
  return ICONS.check;
}

function Message({ m, state, lastOwn, locale }: { m: ChatMessage; state?: DeliveryState; lastOwn: boolean; locale?: string }) {
  const w = useWidget();
  const t = w.t;
  const cls = m.kind === "system" || m.author.role === "system" ? "system" : m.own ? "own" : "them";
  const time = cls === "system" ? "" : formatTime(m.created_at, locale);
  const label = state ? t[state] || state : "";
  return (
    <li class={`msg ${cls}`} data-testid="widget-message" data-seq={m.seq ?? ""} data-state={state} data-author={m.author.role}>
      {cls === "them" && <div class="who">{m.author.name || t.support}</div>}
      <div class="bubble">
        {/* A system line in the widget's language from its code; the hub's English text otherwise. */}
        <RichText text={(cls === "system" && systemLine(w.state.lang, m.code, m.params)) || m.text} />
      </div>
      {cls !== "system" && (
        <div class="meta">
          {time && <time dateTime={m.created_at}>{time}</time>}
          {m.own && state && (
            <span class="state" data-state={state} title={label}>
              <Icon d={stateIcon(state)} size={14} />
              {lastOwn || !QUIET_STATES.has(state) ? label : <span class="sr">{label}</span>}
            </span>
          )}
          {m.own && (state === "retry" || state === "failed") && (
            <button class="retry" type="button" data-testid="widget-retry" onClick={() => w.retry(m.client_id)}>
              {t.retryButton}
            </button>
          )}
          {m.own && state && m.error && <span class="sr">{m.error}</span>}
        </div>
      )}
    </li>
  );
}

export function Conversation() {
  const w = useWidget();
  const s = w.state;
  const t = w.t;
  const log = useRef<HTMLDivElement>(null);
  const scrolled = useRef(0);
  // Read before Preact patches the DOM: was the customer at the bottom?
  const el = log.current;
  const stick = !el || s.scrollDown !== scrolled.current || nearBottom(el);
  scrolled.current = s.scrollDown;
  useLayoutEffect(() => {
    const box = log.current;
    if (stick && box) box.scrollTop = box.scrollHeight;
  });

  const thread = s.thread;
  const messages = thread.messages().filter((m) => m.kind !== "note");
  let lastOwn = "";
  for (const m of messages) if (m.own) lastOwn = m.key;
  const client = w.client;
  const stateOf = (m: ChatMessage): DeliveryState | undefined =>
    client ? client.stateOf(m, thread) : m.own ? (m.pending ?? "sent") : undefined;
  const locale = s.lang === "sv" ? "sv-SE" : undefined;
  return (
    // The list sits inside the live region: a role on the <ol> itself would
    // hide its items' list semantics from assistive technology (axe: listitem).
    <div class="log" role="log" aria-live="polite" aria-label={t.log} tabIndex={0} data-testid="widget-log" ref={log}>
      <ol class="log-list">
        <li class="greeting" key="greeting">
          {s.available === false ? t.greetingOffline : t.greetingOnline}
        </li>
        {messages.map((m) => (
          <Message key={m.key} m={m} state={stateOf(m)} lastOwn={m.key === lastOwn} locale={locale} />
        ))}
      </ol>
    </div>
  );
}

export function Typing() {
  const w = useWidget();
  const typers = w.state.thread.typers().filter((x) => !x.note && x.by.role !== "customer");
  const names = typers.map((x) => x.by.name || w.t.support).join(", ");
  return (
    <div class="typing" data-testid="widget-typing" aria-live="polite" hidden={!typers.length}>
      {typers.length > 0 && (
        <>
          <span class="dots" aria-hidden="true">
            <i />
            <i />
            <i />
          </span>
          {fmt(w.t.typing, { name: names })}
        </>
      )}
    </div>
  );
}

// The open conversation: its header (owner, helpers, take ownership, close),
// the reconnecting banner, the messages with their delivery state, who is
// typing, and the composer.

import { Component } from "preact";
import { useLayoutEffect, useRef } from "preact/hooks";
import type { ChatMessage, Thread } from "../../shared/chat";
import { nearBottom } from "../../shared/dom";
import type { ConversationSnapshot, DeliveryState } from "../../shared/types";
import { formatTime, initials } from "../../shared/util";
import { Composer } from "./Composer";
import { Icon, ICONS, RichText, Spinner, useWorkspace } from "./ui";

const STATE_LABEL: Record<DeliveryState, string> = {
  sending: "Sending…",
  sent: "Sent",
  delivered: "Delivered",
  read: "Read",
  retry: "Not sent",
  "sent-again": "Sent again",
  failed: "Failed",
};

export function ThreadPane() {
  const ws = useWorkspace();
  const s = ws.state;
  const id = s.selectedId;
  const t = id ? s.threads.get(id) : undefined;
  if (!id || !t) {
    return (
      <main class="thread" aria-label="Conversation">
        <div class="thread-empty">
          <div class="empty-art" aria-hidden="true">
            <Icon d={ICONS.chat} size={36} />
          </div>
          <h2>Pick a conversation</h2>
          <p class="muted">Choose a chat on the left to read the thread and reply. Typing, delivery and read state stay visible in the thread.</p>
        </div>
      </main>
    );
  }
  const c = s.convs.get(id) || t.snapshot;
  return (
    <main class="thread" aria-label="Conversation">
      <ThreadHead c={c} t={t} />
      <Banner />
      <Messages t={t} />
      <Typing t={t} />
      <Composer key={id} closed={c?.status === "closed"} />
    </main>
  );
}

function ThreadHead({ c, t }: { c: ConversationSnapshot | null | undefined; t: Thread }) {
  const ws = useWorkspace();
  const me = ws.state.me.agent_id;
  const name = c?.customer?.name || "Visitor";
  const helpers = (c?.participants || []).filter((p) => p.role === "agent" && p.agent_role === "helper");
  const ownerIsMe = c?.owner?.id === me;
  const participant = ownerIsMe || (c?.participants || []).some((p) => p.role === "agent" && p.id === me);
  return (
    <header class="thread-head">
      <span class="avatar" aria-hidden="true">
        {initials(name)}
      </span>
      <div class="head-main">
        <h2 data-testid="thread-title">{name}</h2>
        <div class="head-meta">
          <span class={`status-chip ${c?.status || "open"}`}>{c?.status === "closed" ? "Closed" : "Open"}</span>
          <span data-testid="thread-owner">{c?.owner ? `Owner: ${ownerIsMe ? "You" : c.owner.name}` : c?.queued ? "In the queue" : "Unassigned"}</span>
          {helpers.length ? <span>{`Helpers: ${helpers.map((a) => (a.id === me ? "You" : a.name)).join(", ")}`}</span> : null}
          <span class="muted">#{(c?.id || t.id).slice(0, 8)}</span>
        </div>
      </div>
      {c && !ownerIsMe && c.status !== "closed" ? (
        <button
          class="btn"
          type="button"
          data-testid="take-ownership"
          title={c.owner ? `Take it over from ${c.owner.name} (keyboard: a)` : "Make this conversation yours (keyboard: a)"}
          onClick={() => ws.takeOwnership(c.id)}
        >
          Take ownership
        </button>
      ) : null}
      {c && !participant && c.status !== "closed" ? (
        <button class="btn" type="button" data-testid="help-conversation" title="Join as a helper: the owner stays" onClick={() => ws.join(c.id)}>
          Help
        </button>
      ) : null}
      {c && c.status !== "closed" ? <AssignPicker c={c} /> : null}
      {c && c.status !== "closed" ? (
        <button class="btn" type="button" data-testid="close-conversation" title="Close: it leaves the active chats, the thread stays" onClick={() => ws.closeConversation(c.id)}>
          <Icon d={ICONS.check} size={15} />
          Close
        </button>
      ) : null}
    </header>
  );
}

/** Assign to a colleague: every agent of the tenant (the directory), not only those signed in. */
function AssignPicker({ c }: { c: ConversationSnapshot }) {
  const ws = useWorkspace();
  const s = ws.state;
  const others = Array.from(s.agents.entries())
    .filter(([id]) => id !== c.owner?.id)
    .sort((a, b) => a[1].localeCompare(b[1]));
  if (!others.length) return null;
  return (
    <select
      class="field assign"
      data-testid="assign-to"
      aria-label="Assign to a colleague"
      value=""
      onChange={(e) => {
        const id = (e.currentTarget as HTMLSelectElement).value;
        if (id) ws.assignTo(c.id, id);
        (e.currentTarget as HTMLSelectElement).value = "";
      }}
    >
      <option value="">Assign to…</option>
      {others.map(([id, name]) => (
        <option value={id}>{id === s.me.agent_id ? `${name} (me)` : name}</option>
      ))}
    </select>
  );
}

function Banner() {
  const ws = useWorkspace();
  const show = ws.state.conn === "reconnecting" || ws.state.conn === "stopped";
  return (
    <div class="banner" hidden={!show} role="status">
      {show ? (
        <>
          <Icon d={ICONS.alert} size={16} />
          <span>Reconnecting… Messages you send now go out as soon as the connection is back.</span>
          <button class="link" type="button" onClick={() => ws.reconnectNow()}>
            Retry now
          </button>
        </>
      ) : null}
    </div>
  );
}

function Messages({ t }: { t: Thread }) {
  const ws = useWorkspace();
  const s = ws.state;
  const scroller = useRef<HTMLDivElement>(null);
  const lastThread = useRef<string | null>(null);
  const msgs = t.messages();
  // Stay pinned to the bottom when we were there (or just opened the thread, or sent).
  const el = scroller.current;
  const stick = lastThread.current !== t.id || !el || nearBottom(el) || (msgs.length > 0 && msgs[msgs.length - 1].own && msgs[msgs.length - 1].pending === "sending");
  useLayoutEffect(() => {
    lastThread.current = t.id;
    if (stick && scroller.current) scroller.current.scrollTop = scroller.current.scrollHeight;
  });
  let lastOwn = "";
  for (const m of msgs) if (m.own && m.kind === "text") lastOwn = m.key;
  return (
    <div class="thread-body" ref={scroller} role="log" aria-live="polite" aria-label="Messages" tabIndex={0}>
      <ol class="messages">
        {msgs.map((m) => {
          const state = ws.client.stateOf(m, t);
          return (
            <MessageItem
              key={m.key}
              m={m}
              state={state}
              last={m.key === lastOwn}
              sig={`${m.seq}|${state}|${m.key === lastOwn}|${m.author.name}|${m.error || ""}`}
            />
          );
        })}
      </ol>
      <div class="thread-state">
        {msgs.length ? null : s.loaded.has(t.id) ? (
          <div class="empty small">
            <p class="empty-title">No messages yet</p>
            <p class="muted">Say hello: the customer sees your reply instantly.</p>
          </div>
        ) : (
          <div class="empty small" aria-busy="true">
            <Spinner />
            <p class="muted">Loading conversation…</p>
          </div>
        )}
      </div>
    </div>
  );
}

type MessageProps = { m: ChatMessage; state?: DeliveryState; last: boolean; sig: string };

/** One entry of the thread; re-renders only when its signature (seq, state, author, error) changes. */
class MessageItem extends Component<MessageProps> {
  shouldComponentUpdate(next: MessageProps): boolean {
    return next.sig !== this.props.sig || next.m !== this.props.m;
  }

  render({ m, state, last }: MessageProps) {
    const kind = m.kind === "system" || m.author.role === "system" ? "system" : m.kind === "note" ? "note" : m.author.role === "customer" ? "customer" : "agent";
    const attrs = {
      class: `tmsg ${kind}${m.own ? " own" : ""}`,
      "data-testid": "thread-message",
      "data-seq": m.seq ?? "",
      "data-state": state,
      "data-kind": m.kind,
    };
    if (kind === "system") {
      const time = formatTime(m.created_at);
      return (
        <li {...attrs}>
          <div class="sys">
            <RichText text={m.text} />
            {time ? (
              <>
                {" · "}
                <time dateTime={m.created_at}>{time}</time>
              </>
            ) : null}
          </div>
        </li>
      );
    }
    const author = m.own ? "You" : m.author.name || (m.author.role === "customer" ? "Customer" : "Agent");
    return (
      <li {...attrs}>
        <div class="line">
          <span class="author">{author}</span>
          {kind === "note" ? <span class="tag note-tag">Internal note</span> : kind === "customer" ? <span class="tag">Customer</span> : null}
          <time dateTime={m.created_at}>{formatTime(m.created_at)}</time>
        </div>
        <div class="bubble">
          <RichText text={m.text} />
        </div>
        {m.own && state ? <DeliveryMeta m={m} state={state} last={last} note={kind === "note"} /> : null}
      </li>
    );
  }
}

function DeliveryMeta({ m, state, last, note }: { m: ChatMessage; state: DeliveryState; last: boolean; note: boolean }) {
  const ws = useWorkspace();
  const showLabel = last || !["sent", "delivered", "read"].includes(state) || note;
  const ic = state === "read" || state === "delivered" ? ICONS.checks : state === "sending" ? ICONS.clock : state === "retry" || state === "failed" ? ICONS.alert : ICONS.check;
  return (
    <div class="meta">
      <span class="state" data-state={state} title={STATE_LABEL[state]}>
        <Icon d={ic} size={14} />
        {showLabel ? STATE_LABEL[state] : <span class="sr">{STATE_LABEL[state]}</span>}
      </span>
      {m.error ? <span class="err">{m.error}</span> : null}
      {state === "retry" || state === "failed" ? (
        <button
          class="link retry"
          type="button"
          data-testid="retry"
          onClick={() => {
            const t = ws.client.threads.get(m.conversation_id);
            if (t) ws.retry(t, m.client_id);
          }}
        >
          <Icon d={ICONS.retry} size={13} />
          Retry
        </button>
      ) : null}
    </div>
  );
}

function Typing({ t }: { t: Thread }) {
  const typers = t.typers();
  const parts = typers.map((x) =>
    x.by.role === "customer" ? `${x.by.name || "Customer"} is typing…` : `${x.by.name || "An agent"} is ${x.note ? "writing an internal note" : "typing"}…`,
  );
  return (
    <div class={`typing${typers.length ? " on" : ""}`} data-testid="typing-indicator" aria-live="polite">
      {typers.length ? (
        <>
          <span class="dots" aria-hidden="true">
            <i />
            <i />
            <i />
          </span>
          {parts.join(" · ")}
        </>
      ) : null}
    </div>
  );
}

// The live lane's left column: search (the hub's: customers, phone numbers,
// ids), the All / Unassigned / Mine tabs and the conversations with owner,
// preview and unread count.

import type { ConversationSnapshot } from "../../shared/types";
import { formatAgo, initials } from "../../shared/util";
import { activity, filterCounts, idle, unread, visibleConvs, type Filter } from "../store/state";
import { SearchResults } from "./SearchResults";
import { Icon, ICONS, Skeletons, useWorkspace } from "./ui";

const TABS: [Filter, string][] = [
  ["all", "All"],
  ["unassigned", "Unassigned"],
  ["mine", "Mine"],
];

const EMPTY: Record<Filter, [string, string]> = {
  all: ["No conversations yet", "New chats from the website widget appear here as soon as a customer starts one."],
  mine: ["Nothing assigned to you", "Open a conversation to take it: the first agent to join becomes its owner."],
  unassigned: ["Every conversation has an owner", "Unassigned chats show up here the moment a customer writes."],
};

export function ConversationList() {
  const ws = useWorkspace();
  const s = ws.state;
  const counts = filterCounts(s);
  const items = visibleConvs(s);
  let body;
  if (s.listLoad === "loading" && !s.convs.size) {
    body = <Skeletons n={4} label="Loading conversations" />;
  } else if (s.listLoad === "error" && !s.convs.size) {
    body = (
      <div class="empty error" role="alert">
        <Icon d={ICONS.alert} size={28} className="icon big" />
        <p class="empty-title">Couldn't load conversations</p>
        <p class="muted">{s.listError}</p>
        <button class="btn" type="button" onClick={() => void ws.loadConversations()}>
          Try again
        </button>
      </div>
    );
  } else if (!items.length) {
    const [title, text] = EMPTY[s.filter];
    body = (
      <div class="empty">
        <Icon d={ICONS.inbox} size={28} className="icon big" />
        <p class="empty-title">{title}</p>
        <p class="muted">{text}</p>
      </div>
    );
  } else {
    body = (
      <ul class="list" aria-label="Conversations">
        {items.map((c) => (
          <ConversationItem key={c.id} c={c} />
        ))}
      </ul>
    );
  }
  return (
    <aside class="sidebar">
      <div class="side-head">
        <h2>Conversations</h2>
        <span class="count">{s.listLoad === "ready" ? String(s.convs.size) : ""}</span>
      </div>
      <div class="search">
        <Icon d={ICONS.search} size={15} />
        <input
          type="text"
          role="searchbox"
          class="field"
          data-testid="conversation-search"
          aria-label="Search customers, phone numbers and ids"
          aria-controls={s.search.answer?.results.length ? "search-results" : undefined}
          placeholder="Name, e-mail, phone or id ( / )"
          value={s.search.query}
          onInput={(e) => ws.desk.setQuery((e.currentTarget as HTMLInputElement).value)}
          onKeyDown={(e) => {
            const el = e.currentTarget as HTMLInputElement;
            if (e.key === "Escape") {
              if (s.search.query) ws.desk.clearSearch();
              else el.blur();
            } else if (e.key === "Enter") {
              const first = s.search.answer?.results[0];
              if (first) {
                e.preventDefault();
                void ws.desk.openResult(first);
              }
            } else if (e.key === "ArrowDown") {
              const first = document.querySelector<HTMLElement>('[data-testid="search-result"]');
              if (first) {
                e.preventDefault();
                first.focus();
              }
            }
          }}
        />
      </div>
      <div class="tabs" role="group" aria-label="Filter conversations" hidden={!!s.search.query.trim()}>
        {TABS.map(([f, label]) => (
          <button type="button" class={`tab${s.filter === f ? " active" : ""}`} aria-pressed={s.filter === f} onClick={() => ws.setFilter(f)}>
            {label}
            <span class="tab-count">{String(counts[f])}</span>
          </button>
        ))}
      </div>
      <div class="list-wrap">{s.search.query.trim() ? <SearchResults /> : body}</div>
    </aside>
  );
}

function ConversationItem({ c }: { c: ConversationSnapshot }) {
  const ws = useWorkspace();
  const s = ws.state;
  const n = unread(s, c);
  const selected = c.id === s.selectedId;
  const name = c.customer?.name || "Visitor";
  // Many customers are just "Visitor": a short id tells them apart.
  const tail = !c.customer?.name || /^visitor$/i.test(c.customer.name) ? (c.customer?.id || c.id).slice(-4) : "";
  const p = c.preview;
  const owner = c.owner ? (c.owner.id === s.me.agent_id ? "You" : c.owner.name) : null;
  const at = activity(c);
  return (
    <li>
      <button
        type="button"
        class={`item${selected ? " selected" : ""}${n ? " unread" : ""}${c.status === "closed" ? " closed" : ""}${idle(c) ? " idle" : ""}`}
        data-testid="conversation-item"
        data-conversation-id={c.id}
        data-unread={String(n)}
        aria-current={selected ? "true" : undefined}
        onClick={() => ws.select(c.id)}
      >
        <span class="avatar" aria-hidden="true">
          {initials(name)}
        </span>
        <span class="item-main">
          <span class="item-top">
            <span class="item-name">
              {name}
              {tail ? <span class="item-id">{` · ${tail}`}</span> : null}
            </span>
            <time class="item-time" dateTime={String(at)}>
              {formatAgo(at)}
            </time>
          </span>
          <span class="item-preview">{p ? (p.author_role === "agent" ? "Agent: " : "") + p.text : "Opened the chat, no message yet"}</span>
          <span class="item-bottom">
            {owner ? (
              <span class="owner">Owner: {owner}</span>
            ) : idle(c) ? (
              <span class="owner">Waiting for a first message</span>
            ) : (
              <span class="owner none">Unassigned</span>
            )}
            {c.status === "closed" ? <span class="closed-tag">Closed</span> : null}
            {n ? (
              <span class="unread-badge" aria-label={`${n} unread`}>
                {n > 99 ? "99+" : String(n)}
              </span>
            ) : null}
          </span>
        </span>
      </button>
    </li>
  );
}

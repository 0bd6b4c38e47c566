// What the hub found for the search box: customers (by name or e-mail),
// callbacks (by phone number), conversations, tickets and callbacks (by id).
// Each result opens its thread (a customer: their newest one). Message text is
// not searchable, and the list says so.

import type { SearchResult } from "../../shared/types";
import { formatAgo } from "../../shared/util";
import { MIN_QUERY } from "../desk";
import { Icon, ICONS, Spinner, useWorkspace } from "./ui";

const KIND_LABEL: Record<SearchResult["kind"], string> = {
  customer: "Customer",
  conversation: "Conversation",
  callback: "Callback",
  ticket: "Ticket",
};

export function SearchResults() {
  const ws = useWorkspace();
  const { search } = ws.state;
  const q = search.query.trim();
  let body;
  if (q.length < MIN_QUERY || search.load === "idle") {
    body = <p class="muted small search-hint">Type at least {MIN_QUERY} characters: a name, an e-mail, a phone number or an id.</p>;
  } else if (search.load === "loading" && !search.answer) {
    body = (
      <div class="empty small" aria-busy="true">
        <Spinner />
        <p class="muted">Searching…</p>
      </div>
    );
  } else if (search.load === "error") {
    body = (
      <div class="empty error" role="alert">
        <p class="empty-title">Search failed</p>
        <p class="muted">{search.error}</p>
      </div>
    );
  } else if (search.answer && !search.answer.results.length) {
    body = (
      <div class="empty">
        <Icon d={ICONS.search} size={28} className="icon big" />
        <p class="empty-title">No match</p>
        <p class="muted" data-testid="search-note">
          {search.answer.note || `Nothing found for “${q}”.`}
        </p>
      </div>
    );
  } else if (search.answer) {
    const results = search.answer.results;
    body = (
      <ul class="list results" id="search-results" aria-label="Search results">
        {results.map((r, i) => (
          <li key={`${r.kind}:${r.id}`}>
            <button
              type="button"
              class="item result"
              data-testid="search-result"
              data-kind={r.kind}
              data-id={r.id}
              onClick={() => void ws.desk.openResult(r)}
              onKeyDown={(e) => {
                const items = Array.from(document.querySelectorAll<HTMLElement>('[data-testid="search-result"]'));
                if (e.key === "ArrowDown") items[Math.min(i + 1, items.length - 1)]?.focus();
                else if (e.key === "ArrowUp") (i === 0 ? document.querySelector<HTMLElement>('[data-testid="conversation-search"]') : items[i - 1])?.focus();
                else return;
                e.preventDefault();
              }}
            >
              <span class="item-main">
                <span class="item-top">
                  <span class="item-name">{r.title}</span>
                  {r.at ? <time class="item-time">{formatAgo(r.at)}</time> : null}
                </span>
                <span class="item-preview">{r.detail}</span>
                <span class="item-bottom">
                  <span class={`kind-tag ${r.kind}`}>{KIND_LABEL[r.kind]}</span>
                  {r.verified === true ? <span class="verified-tag">Verified</span> : null}
                  {!r.conversation_id && r.kind !== "customer" ? <span class="owner none">No conversation</span> : null}
                </span>
              </span>
            </button>
          </li>
        ))}
      </ul>
    );
  }
  return (
    <div class="search-results" data-testid="search-results" data-state={search.load}>
      {body}
      {search.answer ? (
        <p class="muted small not-searchable" data-testid="not-searchable">
          {search.answer.not_searchable}
        </p>
      ) : null}
    </div>
  );
}

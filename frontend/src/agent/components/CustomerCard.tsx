// The customer side panel: who the customer is (verified by the tenant's
// server or not), the page they are on, and their earlier conversations,
// callbacks and tickets — each opens what it names.

import { useEffect } from "preact/hooks";
import type { CustomerPanel } from "../../shared/types";
import { formatAgo } from "../../shared/util";
import { Icon, ICONS, Spinner, useWorkspace } from "./ui";

/** "Chrome on macOS"-like, from a user agent string; the whole string is in the title. */
export function browserOf(ua: string | null | undefined): string {
  if (!ua) return "";
  const browser = /Edg\//.test(ua)
    ? "Edge"
    : /Firefox\//.test(ua)
      ? "Firefox"
      : /Chrome\//.test(ua)
        ? "Chrome"
        : /Safari\//.test(ua)
          ? "Safari"
          : "A browser";
  const os = /Android/.test(ua)
    ? "Android"
    : /iPhone|iPad/.test(ua)
      ? "iOS"
      : /Mac OS X/.test(ua)
        ? "macOS"
        : /Windows/.test(ua)
          ? "Windows"
          : /Linux/.test(ua)
            ? "Linux"
            : "";
  return os ? `${browser} on ${os}` : browser;
}

function stars(n: number): string {
  return "★".repeat(n) + "☆".repeat(5 - n);
}

export function CustomerCard({ customerId, name, conversationId }: { customerId: string; name: string; conversationId: string }) {
  const ws = useWorkspace();
  const s = ws.state;
  useEffect(() => {
    void ws.desk.loadCustomer(customerId);
  }, [customerId]);
  const panel: CustomerPanel | undefined = s.customers.get(customerId);
  const load = s.customerLoad.get(customerId) || "loading";
  if (!panel) {
    return (
      <section class="card customer" data-testid="customer-panel" aria-label="Customer" data-state={load}>
        <h2>{name || "Visitor"}</h2>
        {load === "error" ? (
          <p class="muted small">
            Couldn't load this customer.{" "}
            <button class="link small" type="button" onClick={() => void ws.desk.loadCustomer(customerId, true)}>
              Try again
            </button>
          </p>
        ) : (
          <p class="muted small" aria-busy="true">
            <Spinner /> Loading the customer…
          </p>
        )}
      </section>
    );
  }
  const c = panel.customer;
  const earlier = panel.conversations.filter((x) => x.id !== conversationId);
  const rated = panel.conversations.find((x) => x.id === conversationId)?.csat;
  const browser = browserOf(c.user_agent);
  return (
    <section class="card customer" data-testid="customer-panel" aria-label="Customer" data-state="ready">
      <div class="customer-head">
        <h2 data-testid="customer-name">{c.name}</h2>
        <span
          class={`verified-tag${c.verified ? "" : " unverified"}`}
          data-testid="customer-verified"
          data-verified={c.verified ? "true" : "false"}
          title={c.verified ? "The company's server vouched for this identity" : "Anyone can type a name and e-mail: not verified"}
        >
          {c.verified ? "Verified" : "Not verified"}
        </span>
      </div>
      <dl class="facts">
        {c.email ? (
          <>
            <dt>E-mail</dt>
            <dd>{c.email}</dd>
          </>
        ) : null}
        {c.external_id ? (
          <>
            <dt>User id</dt>
            <dd>{c.external_id}</dd>
          </>
        ) : null}
        <dt>Page</dt>
        <dd>
          {c.page ? (
            <a href={c.page.url} target="_blank" rel="noopener noreferrer" data-testid="customer-page" title={c.page.url}>
              {c.page.title || c.page.url}
            </a>
          ) : (
            <span class="muted">Unknown</span>
          )}
        </dd>
        {c.locale ? (
          <>
            <dt>Language</dt>
            <dd>{c.locale}</dd>
          </>
        ) : null}
        {browser ? (
          <>
            <dt>Browser</dt>
            <dd title={c.user_agent || ""}>{browser}</dd>
          </>
        ) : null}
        {rated ? (
          <>
            <dt>Rating</dt>
            <dd data-testid="customer-current-csat" data-rating={String(rated.rating)} title={rated.comment || ""}>
              <span class="stars" aria-label={`Rated this conversation ${rated.rating} of 5`}>
                {stars(rated.rating)}
              </span>
            </dd>
          </>
        ) : null}
        {c.last_seen ? (
          <>
            <dt>Last seen</dt>
            <dd>{formatAgo(c.last_seen, s.now)}</dd>
          </>
        ) : null}
      </dl>
      <h3>
        <Icon d={ICONS.chat} size={14} />
        Earlier conversations
      </h3>
      {earlier.length ? (
        <ul class="links" data-testid="customer-conversations">
          {earlier.map((x) => (
            <li key={x.id}>
              <button class="link-row" type="button" data-testid="customer-conversation" data-conversation-id={x.id} onClick={() => ws.select(x.id)}>
                <span class="link-main">{x.preview?.text || "No message"}</span>
                <span class="link-meta">
                  {x.status === "closed" ? "Closed" : "Open"} · {formatAgo(x.updated_at, s.now)}
                  {/* Who handles (handled) it: explicit ownership, routing (issue 10). */}
                  <span data-testid="customer-conversation-owner">
                    {x.owner ? ` · ${x.owner.id === s.me.agent_id ? "You" : x.owner.name}` : x.status === "closed" ? "" : " · Unassigned"}
                  </span>
                  {x.csat ? (
                    <span class="stars" data-testid="customer-csat" data-rating={String(x.csat.rating)} aria-label={`Rated ${x.csat.rating} of 5`}>
                      {` ${stars(x.csat.rating)}`}
                    </span>
                  ) : null}
                </span>
              </button>
            </li>
          ))}
        </ul>
      ) : (
        <p class="muted small">No earlier conversation.</p>
      )}
      {panel.callbacks.length ? (
        <>
          <h3>
            <Icon d={ICONS.phone} size={14} />
            Callbacks
          </h3>
          <ul class="links">
            {panel.callbacks.map((cb) => (
              <li key={cb.id}>
                <button
                  class="link-row"
                  type="button"
                  data-testid="customer-callback"
                  data-callback-id={cb.id}
                  onClick={() => (cb.conversation_id && cb.conversation_id !== conversationId ? ws.select(cb.conversation_id) : ws.desk.openCallback(cb.id))}
                >
                  <span class="link-main">{cb.phone}</span>
                  <span class="link-meta">
                    {cb.status} · {formatAgo(cb.created_at, s.now)}
                  </span>
                </button>
              </li>
            ))}
          </ul>
        </>
      ) : null}
      {panel.tickets.length ? (
        <>
          <h3>
            <Icon d={ICONS.ticket} size={14} />
            Tickets
          </h3>
          <ul class="links">
            {panel.tickets.map((t) => (
              <li key={t.id}>
                <button class="link-row" type="button" data-testid="customer-ticket" data-ticket-id={t.id} onClick={() => ws.desk.openTicket(t.id)}>
                  <span class="link-main">{t.subject}</span>
                  <span class="link-meta">
                    {t.status.replace(/_/g, " ")} · {formatAgo(t.updated_at, s.now)}
                  </span>
                </button>
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </section>
  );
}

// The live lane's right column: the open conversation's customer, owner,
// status, ticket and linked callbacks (or "Work next" when none is open), and
// the callback motor below it.

import { CallbackItem, CallbackMotor } from "./Callbacks";
import { CustomerCard } from "./CustomerCard";
import { TicketCreate, TicketEditor } from "./Tickets";
import { Icon, ICONS, useWorkspace } from "./ui";

export function Rail() {
  return (
    <aside class="rail" aria-label="Thread context and callbacks">
      <div class="rail-context">
        <ThreadContext />
      </div>
      <CallbackMotor />
    </aside>
  );
}

function ThreadContext() {
  const ws = useWorkspace();
  const s = ws.state;
  const id = s.selectedId;
  if (!id) {
    return (
      <section class="card ctx-empty">
        <h2>Work next</h2>
        <p class="muted">{s.hub ? s.hub.next_move.reason : "Open a conversation to see its owner, ticket and callbacks here."}</p>
        {s.hub ? (
          <button class="link small" type="button" onClick={() => ws.showView("command")}>
            Open support command
            <Icon d={ICONS.arrow} size={14} />
          </button>
        ) : null}
      </section>
    );
  }
  const conv = s.convs.get(id) || s.threads.get(id)?.snapshot || undefined;
  const ticket = s.work.ticketFor(id);
  const linked = s.work.forConversation(id);
  return (
    <>
    {conv?.customer?.id ? <CustomerCard key={conv.customer.id} customerId={conv.customer.id} name={conv.customer.name} conversationId={id} /> : null}
    <section class="card" data-testid="thread-context" aria-label="This conversation">
      <h2>This conversation</h2>
      <dl class="facts">
        <dt>Customer</dt>
        <dd>{conv?.customer?.name || "Visitor"}</dd>
        <dt>Owner</dt>
        <dd>{conv?.owner ? (conv.owner.id === s.me.agent_id ? "You" : conv.owner.name) : "Unassigned"}</dd>
        <dt>Status</dt>
        <dd>{conv?.status === "closed" ? "Closed" : "Open"}</dd>
      </dl>
      <h3>
        <Icon d={ICONS.ticket} size={14} />
        Ticket
      </h3>
      {ticket ? (
        <TicketEditor key={ticket.id} t={ticket} compact />
      ) : s.ticketsLoad === "loading" ? (
        <p class="muted small">Loading tickets…</p>
      ) : (
        <TicketCreate key={id} conversationId={id} />
      )}
      <h3>
        <Icon d={ICONS.phone} size={14} />
        Callbacks
      </h3>
      {linked.length ? (
        <ul class="cb-list">
          {linked.map((cb) => (
            <CallbackItem key={cb.id} cb={cb} inThread />
          ))}
        </ul>
      ) : (
        <p class="muted small" data-testid="thread-callbacks-empty">
          No callback requested in this conversation.
        </p>
      )}
    </section>
    </>
  );
}

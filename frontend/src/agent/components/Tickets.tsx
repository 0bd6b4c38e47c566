// Tickets: create one from a thread (the agent writes the subject; the customer
// only ever sees "ticket #N"), edit status / waiting-on / owner in place, and the tickets view.

import type { ComponentChildren } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import type { TicketStatus, TicketView } from "../../shared/types";
import { formatAgo } from "../../shared/util";
import { TICKET_STATUS_LABEL } from "../work";
import { Icon, ICONS, Spinner, useWorkspace } from "./ui";

const STATUSES: TicketStatus[] = ["open", "waiting_internal", "waiting_customer", "solved"];

export function TicketCreate({ conversationId }: { conversationId: string }) {
  const ws = useWorkspace();
  const [open, setOpen] = useState(false);
  const [subject, setSubject] = useState("");
  const [saving, setSaving] = useState(false);
  const field = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (open && field.current) {
      field.current.focus();
      field.current.select();
    }
  }, [open]);
  return (
    <form
      class="ticket-create"
      onSubmit={async (e) => {
        e.preventDefault();
        const text = subject.trim();
        if (!text) return field.current?.focus();
        setSaving(true);
        const ok = await ws.lanes.createTicket(conversationId, text);
        setSaving(false);
        if (ok) {
          setOpen(false);
          setSubject("");
        }
      }}
    >
      {open ? (
        <div class="form-row">
          <input
            ref={field}
            class="field"
            data-testid="ticket-subject"
            aria-label="Ticket subject"
            maxLength={200}
            placeholder="Subject (only agents see it)"
            value={subject}
            onInput={(e) => setSubject((e.currentTarget as HTMLInputElement).value)}
          />
          <div class="row">
            <button class="btn small primary" type="submit" data-testid="ticket-create-submit" disabled={saving}>
              {saving ? "Creating…" : "Create ticket"}
            </button>
            <button class="btn small" type="button" onClick={() => setOpen(false)}>
              Cancel
            </button>
          </div>
        </div>
      ) : (
        <button
          class="btn small"
          type="button"
          data-testid="ticket-create"
          onClick={() => setOpen(true)}
        >
          <Icon d={ICONS.ticket} size={14} />
          Create ticket from this thread
        </button>
      )}
    </form>
  );
}

/** Status, waiting-on and owner of a ticket, each one change away. */
export function TicketEditor({ t, compact, children }: { t: TicketView; compact: boolean; children?: ComponentChildren }) {
  const ws = useWorkspace();
  const s = ws.state;
  const busy = s.busy.has(t.id);
  // A status picked but not saved yet (waiting internal asks on whom first).
  const [draft, setDraft] = useState<TicketStatus | null>(null);
  const [waitingOn, setWaitingOn] = useState(t.waiting_on || "");
  const waitingField = useRef<HTMLInputElement>(null);
  useEffect(() => setWaitingOn(t.waiting_on || ""), [t.waiting_on]);
  useEffect(() => {
    if (draft === "waiting_internal") waitingField.current?.focus();
  }, [draft]);
  const shown = draft || t.status;
  const owners = new Map(s.agents);
  owners.set(t.owner.id, t.owner.name);

  const patch = async (body: Record<string, unknown>) => {
    if (await ws.lanes.patchTicket(t, body)) setDraft(null);
  };
  const saveWaiting = () => {
    const v = waitingOn.trim();
    if (!v || (shown === t.status && v === (t.waiting_on || ""))) return;
    void patch({ status: "waiting_internal", waiting_on: v });
  };

  return (
    <div class={`ticket${compact ? " compact" : ""}`} data-testid="ticket-card" data-ticket-id={t.id} data-status={t.status}>
      <div class="ticket-top">
        <span class={`tstatus ${t.status}`}>{TICKET_STATUS_LABEL[t.status] || t.status}</span>
        <span class="ticket-subject" data-testid="ticket-subject-text">
          {t.number ? <span class="ticket-number" data-testid="ticket-number">{`#${t.number} `}</span> : null}
          {t.subject}
        </span>
      </div>
      {t.status === "waiting_internal" && t.waiting_on ? <div class="muted small">Blocked on {t.waiting_on}</div> : null}
      <label class="inline">
        <span>Status</span>
        <select
          class="field"
          data-testid="ticket-status"
          aria-label={`Status of ticket ${t.subject}`}
          disabled={busy}
          value={shown}
          onChange={(e) => {
            const st = (e.currentTarget as HTMLSelectElement).value as TicketStatus;
            if (st === "waiting_internal" && !waitingOn.trim()) {
              setDraft(st); // saved once we know who it waits on
              return;
            }
            setDraft(st === t.status ? null : st);
            void patch(st === "waiting_internal" ? { status: st, waiting_on: waitingOn.trim() } : { status: st });
          }}
        >
          {STATUSES.map((st) => (
            <option value={st}>{TICKET_STATUS_LABEL[st]}</option>
          ))}
        </select>
      </label>
      <label class="inline" hidden={shown !== "waiting_internal"}>
        <span>Waiting on</span>
        <input
          ref={waitingField}
          class="field"
          data-testid="ticket-waiting-on"
          aria-label="Waiting on (team or person)"
          placeholder="Waiting on… (e.g. Billing)"
          value={waitingOn}
          disabled={busy}
          onInput={(e) => setWaitingOn((e.currentTarget as HTMLInputElement).value)}
          onChange={saveWaiting}
          onKeyDown={(e) => {
            if (e.key === "Enter") {
              e.preventDefault();
              saveWaiting();
            }
          }}
        />
      </label>
      <label class="inline">
        <span>Owner</span>
        <select
          class="field"
          data-testid="ticket-owner"
          aria-label="Ticket owner"
          disabled={busy}
          value={t.owner.id}
          onChange={(e) => {
            const id = (e.currentTarget as HTMLSelectElement).value;
            void patch({ owner: { id, name: owners.get(id) || id } });
          }}
        >
          {Array.from(owners.entries()).map(([id, name]) => (
            <option value={id}>{id === s.me.agent_id ? `${name} (you)` : name}</option>
          ))}
        </select>
      </label>
      <div class="muted small">{`#${t.id.slice(-6)} · updated ${formatAgo(t.updated_at)}`}</div>
      {children}
    </div>
  );
}

export function TicketsView() {
  const ws = useWorkspace();
  const s = ws.state;
  const list = s.work.openTickets();
  let body;
  if (s.ticketsLoad === "loading" && !list.length) {
    body = (
      <div class="empty" aria-busy="true">
        <Spinner />
        <p class="muted">Loading tickets…</p>
      </div>
    );
  } else if (s.ticketsLoad === "error" && !list.length) {
    body = (
      <div class="empty error" role="alert">
        <p class="empty-title">Couldn't load tickets</p>
        <p class="muted">{s.loadError}</p>
        <button class="btn" type="button" onClick={() => void ws.lanes.loadTickets(false)}>
          Try again
        </button>
      </div>
    );
  } else if (!list.length) {
    body = (
      <div class="empty">
        <Icon d={ICONS.ticket} size={28} className="icon big" />
        <p class="empty-title">No open tickets</p>
        <p class="muted">Create one from a conversation's side panel when chat cannot finish the job.</p>
      </div>
    );
  } else {
    body = (
      <div class="ticket-grid" data-testid="ticket-list">
        {list.map((t) => (
          <TicketEditor key={t.id} t={t} compact={false}>
            {t.conversation_id ? (
              <button class="link small" type="button" onClick={() => ws.select(t.conversation_id!)}>
                {`Open thread with ${t.customer?.name || "the customer"}`}
                <Icon d={ICONS.arrow} size={14} />
              </button>
            ) : null}
          </TicketEditor>
        ))}
      </div>
    );
  }
  return (
    <main class="page" aria-label="Tickets">
      <header class="page-head">
        <div>
          <h1>Tickets</h1>
          <p class="muted">When chat cannot finish the job: every ticket has an owner, and the thread stays attached.</p>
        </div>
      </header>
      {body}
    </main>
  );
}

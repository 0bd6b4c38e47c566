// The callback motor: the queue (overdue first, then by due time), claim →
// completed / no answer / release in one click, and "Log missed call".

import { useEffect, useRef, useState } from "preact/hooks";
import type { CallbackView } from "../../shared/types";
import { toMs } from "../../shared/util";
import { dueLabel, WINDOW_LABEL } from "../work";
import { Icon, ICONS, Skeletons, useWorkspace } from "./ui";

export function CallbackMotor() {
  const ws = useWorkspace();
  const s = ws.state;
  const [logging, setLogging] = useState(false);
  const list = s.work.queue();
  const overdue = list.filter((c) => c.overdue).length;
  let body;
  if (s.callbacksLoad === "loading" && !list.length) {
    body = <Skeletons n={2} />;
  } else if (s.callbacksLoad === "error" && !list.length) {
    body = (
      <div class="empty small error" role="alert">
        <p class="empty-title">Couldn't load the callback queue</p>
        <p class="muted">{s.loadError}</p>
        <button class="btn small" type="button" onClick={() => void ws.lanes.loadCallbacks(false)}>
          Try again
        </button>
      </div>
    );
  } else if (!list.length) {
    body = (
      <div class="empty small" data-testid="callback-queue-empty">
        <Icon d={ICONS.phone} size={22} className="icon big" />
        <p class="empty-title">No callbacks waiting</p>
        <p class="muted">Requests from the widget and logged missed calls land here, soonest due first.</p>
      </div>
    );
  } else {
    body = (
      <ul class="cb-list">
        {list.map((cb) => (
          <CallbackItem key={cb.id} cb={cb} inThread={false} />
        ))}
      </ul>
    );
  }
  return (
    <section class="motor" id="motor" aria-labelledby="motor-title" data-testid="callback-queue">
      <div class="rail-head">
        <Icon d={ICONS.phone} size={16} />
        <h2 id="motor-title">Callback motor</h2>
        <span class={`count${overdue ? " hot" : ""}`}>{s.callbacksLoad === "ready" ? `${list.length}${overdue ? ` · ${overdue} overdue` : ""}` : ""}</span>
        <button class="link small" type="button" data-testid="log-missed-call" onClick={() => setLogging(!logging)}>
          Log missed call
        </button>
      </div>
      <p class="rail-sub muted">Missed-call recovery stays one click away from the live lane.</p>
      <div class="motor-list">
        {logging ? <MissedCallForm onDone={() => setLogging(false)} /> : null}
        {body}
      </div>
    </section>
  );
}

export function CallbackItem({ cb, inThread }: { cb: CallbackView; inThread: boolean }) {
  const ws = useWorkspace();
  const s = ws.state;
  const mine = cb.claimed_by?.id === s.me.agent_id;
  const busy = s.busy.has(cb.id);
  const step = (name: string, label: string, primary = false) => (
    <button class={`btn tiny${primary ? " primary" : ""}`} type="button" disabled={busy} data-testid={`callback-${name}`} onClick={() => void ws.lanes.callbackStep(cb, name)}>
      {label}
    </button>
  );
  const linkedHere = !!cb.conversation_id && cb.conversation_id === s.selectedId;
  const cls = `cb${cb.overdue ? " overdue" : ""}${cb.priority === "high" ? " high" : ""}${linkedHere && !inThread ? " here" : ""}${s.work.alerted.has(cb.id) ? " alerted" : ""}`;
  return (
    <li class={cls} data-testid="callback-item" data-callback-id={cb.id} data-status={cb.status} data-overdue={String(cb.overdue)}>
      <div class="cb-top">
        <span class="cb-name">{cb.customer_name || "Customer"}</span>
        <span class={`due${cb.overdue ? " hot" : ""}`} title={new Date(toMs(cb.due_at)).toLocaleString()}>
          <Icon d={cb.overdue ? ICONS.alert : ICONS.clock} size={13} />
          {dueLabel(cb)}
        </span>
      </div>
      <a class="cb-phone" href={`tel:${cb.phone}`} data-testid="callback-phone">
        {cb.phone}
      </a>
      {cb.reason ? <div class="cb-reason">{cb.reason}</div> : null}
      <div class="cb-meta muted">
        {WINDOW_LABEL[cb.window || ""] || cb.window || ""}
        {cb.attempts ? ` · attempt ${cb.attempts + 1}${cb.max_attempts ? ` of ${cb.max_attempts}` : ""}` : ""}
        {cb.source === "agent" ? " · missed call" : cb.source === "widget" ? " · from the widget" : ""}
        {cb.claimed_by ? <span class="claimed">{` · ${mine ? "You're calling" : `${cb.claimed_by.name} is calling`}`}</span> : null}
      </div>
      <div class="cb-actions">
        {cb.status === "queued" ? step("claim", "Claim", true) : null}
        {cb.status !== "queued" && mine ? (
          <>
            {step("complete", "Completed", true)}
            {step("no-answer", "No answer")}
            {step("release", "Release")}
          </>
        ) : null}
        {!inThread && cb.conversation_id ? (
          <button class="link small" type="button" data-testid="callback-open-thread" onClick={() => ws.select(cb.conversation_id!)}>
            Open thread
          </button>
        ) : null}
      </div>
    </li>
  );
}

function MissedCallForm({ onDone }: { onDone: () => void }) {
  const ws = useWorkspace();
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const phone = useRef<HTMLInputElement>(null);
  const name = useRef<HTMLInputElement>(null);
  const window = useRef<HTMLSelectElement>(null);
  const reason = useRef<HTMLInputElement>(null);
  const link = useRef<HTMLSelectElement>(null);
  useEffect(() => phone.current?.focus(), []);
  // A missed call joins a conversation only when the agent picks one here (issue 10, item 1).
  const open = Array.from(ws.state.convs.values()).filter((c) => c.status !== "closed");
  return (
    <form
      class="missed card-inset"
      onSubmit={async (e) => {
        e.preventDefault();
        const number = phone.current!.value.trim();
        if (!number) return phone.current!.focus();
        setSaving(true);
        const body: Record<string, string> = { phone: number, window: window.current!.value };
        if (name.current!.value.trim()) body.customer_name = name.current!.value.trim();
        if (reason.current!.value.trim()) body.reason = reason.current!.value.trim();
        if (link.current!.value) body.conversation_id = link.current!.value;
        const err = await ws.lanes.logMissedCall(body);
        setSaving(false);
        if (err) setError(err);
        else onDone();
      }}
    >
      <strong>Log a missed call</strong>
      <div class="form-error" role="alert" hidden={!error}>
        {error}
      </div>
      <input ref={phone} class="field" type="tel" required placeholder="+46 70 123 45 67" aria-label="Phone number" data-testid="missed-phone" />
      <input ref={name} class="field" placeholder="Customer name (optional)" aria-label="Customer name" />
      <select ref={window} class="field" aria-label="Preferred window">
        {Object.entries(WINDOW_LABEL).map(([v, l]) => (
          <option value={v}>{l}</option>
        ))}
      </select>
      <input ref={reason} class="field" placeholder="Reason (optional)" aria-label="Reason" maxLength={500} />
      <select ref={link} class="field" aria-label="Link to a conversation" data-testid="missed-link">
        <option value="">Not linked to a conversation</option>
        {open.map((c) => (
          <option value={c.id}>{`${c.customer?.name || "Visitor"} · #${c.id.slice(0, 8)}`}</option>
        ))}
      </select>
      <div class="row">
        <button class="btn small primary" type="submit" disabled={saving}>
          Add to queue
        </button>
        <button class="btn small" type="button" onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}

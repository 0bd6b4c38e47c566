// Support command: the next move (Fix next), the launch decision with Go live
// and the recovery path, the four lanes with their pressure and drift, owners
// and the mode history.

import type { Lane } from "../../shared/types";
import { formatAgo, formatTime } from "../../shared/util";
import { LANE_LABEL, MODE_LABEL } from "../work";
import { Icon, ICONS, Spinner, useWorkspace } from "./ui";

function age(s: number | null | undefined): string {
  return s == null ? "–" : s < 60 ? `${Math.round(s)} s` : s < 3600 ? `${Math.round(s / 60)} min` : `${Math.round(s / 3600)} h`;
}

export function CommandView() {
  const ws = useWorkspace();
  const s = ws.state;
  const hub = s.hub;
  const head = (
    <header class="page-head">
      <div>
        <h1>Support command</h1>
        <p class="muted">Typing, presence and callback dispatch in one live lane: counters, lanes, owners, drift and the next move.</p>
      </div>
      <button class="btn" type="button" onClick={() => void ws.lanes.loadHub(false)}>
        <Icon d={ICONS.retry} size={15} />
        Refresh
      </button>
    </header>
  );
  if (!hub) {
    return (
      <main class="page" aria-label="Support command">
        {head}
        {s.hubLoad === "error" ? (
          <div class="empty error" role="alert">
            <p class="empty-title">Couldn't load support command</p>
            <p class="muted">{s.loadError}</p>
            <button class="btn" type="button" onClick={() => void ws.lanes.loadHub(false)}>
              Try again
            </button>
          </div>
        ) : (
          <div class="empty" aria-busy="true">
            <Spinner />
            <p class="muted">Reading live state…</p>
          </div>
        )}
      </main>
    );
  }
  const p = hub.pressure;
  const move = hub.next_move;
  const mode = s.work.mode || hub.mode.mode;
  const blockers = s.blockers ?? hub.launch.blockers;
  // What the mode puts first (hub/mode_rules.py): ready → the launch decision, live → the next
  // move, recovery → the recovery path (the blockers with their fixes, then the path).
  const first = hub.mode.mode === mode ? hub.mode.rules?.first || "launch" : mode === "live" ? "next_move" : mode === "recovery" ? "recovery" : "launch";
  const busy = s.busy.has("mode");
  const lane = (key: Lane, title: string, rows: [string, string | number | null | undefined, boolean?][]) => (
    <section class={`card lane${move.lane === key ? " next" : ""}`} data-testid={`lane-${key}`}>
      <div class="lane-head">
        <h3>{title}</h3>
        {move.lane === key ? <span class="pill">Next move</span> : null}
      </div>
      <dl class="kv">
        {rows.map(([k, val, hot]) => (
          <>
            <dt>{k}</dt>
            <dd class={hot ? "hot" : ""}>{val == null ? "–" : String(val)}</dd>
          </>
        ))}
      </dl>
      <button class="link small" type="button" onClick={() => ws.lanes.goLane(key)}>
        {`Open ${title.toLowerCase()}`}
        <Icon d={ICONS.arrow} size={14} />
      </button>
    </section>
  );

  // Owners: who carries what right now.
  const owners = new Map<string, { name: string; chats: number; tickets: number; calls: number }>();
  const bump = (id: string, name: string, k: "chats" | "tickets" | "calls") => {
    const o = owners.get(id) || { name, chats: 0, tickets: 0, calls: 0 };
    o[k]++;
    owners.set(id, o);
  };
  for (const c of s.convs.values()) if (c.owner && c.status !== "closed") bump(c.owner.id, c.owner.name, "chats");
  for (const t of s.work.openTickets()) bump(t.owner.id, t.owner.name, "tickets");
  for (const cb of s.work.queue()) if (cb.claimed_by) bump(cb.claimed_by.id, cb.claimed_by.name, "calls");

  return (
    <main class="page" aria-label="Support command">
      {head}
      <div class="command-grid" data-testid="command-grid" data-first={first}>
        <section style={{ order: first === "next_move" ? 0 : 1 }} class={`card fix ${move.severity}`} data-testid="next-move" data-lane={move.lane} data-severity={move.severity}>
          <div class="eyebrow">
            <Icon d={ICONS.flag} size={14} />
            Fix next
          </div>
          <h2>{LANE_LABEL[move.lane] || move.lane}</h2>
          <p class="reason" data-testid="next-move-reason">
            {move.reason}
          </p>
          <div class="row">
            <span class={`sev ${move.severity}`}>{move.severity === "calm" ? "Calm" : move.severity === "urgent" ? "Urgent" : "Needs attention"}</span>
            <button class="btn small primary" type="button" onClick={() => ws.lanes.goLane(move.lane)}>
              {`Go to ${LANE_LABEL[move.lane] || move.lane}`}
              <Icon d={ICONS.arrow} size={14} />
            </button>
          </div>
        </section>
        <section
          style={{ order: first === "launch" || first === "recovery" ? 0 : 2 }}
          class={`card launch${hub.launch.ready ? " ready" : " blocked"}`}
          data-testid="launch-decision"
          data-ready={String(hub.launch.ready)}
        >
          <div class="eyebrow">
            <Icon d={ICONS.rocket} size={14} />
            Launch decision
          </div>
          <h2 data-testid="launch-headline">{hub.launch.ready ? "Ready for handoff" : hub.launch.headline}</h2>
          <p class="muted">{hub.launch.ready ? "Hand off to launch mode once the live lane is stable." : "Going live waits until these are recovered:"}</p>
          {blockers.length ? (
            <ul class="blockers" data-testid="launch-blockers">
              {blockers.map((b) => (
                <li data-code={b.code}>
                  <Icon d={ICONS.alert} size={14} />
                  <span>{b.message}</span>
                  {b.fix === "reassign" && b.agents?.length ? (
                    b.agents.map((a) => (
                      <button
                        class="btn small"
                        type="button"
                        data-testid="reassign-chats"
                        data-agent-id={a.id}
                        disabled={s.busy.has(`reassign:${a.id}`)}
                        onClick={() => void ws.lanes.reassign(a.id, a.name)}
                      >
                        {`Reassign ${a.name}'s chats`}
                      </button>
                    ))
                  ) : (
                    <button class="link small" type="button" onClick={() => ws.lanes.goLane(b.lane)}>
                      {LANE_LABEL[b.lane] || b.lane}
                    </button>
                  )}
                </li>
              ))}
            </ul>
          ) : null}
          <div class="row">
            <button class="btn primary" type="button" data-testid="go-live" disabled={mode === "live" || busy} onClick={() => void ws.lanes.setMode("live")}>
              <Icon d={ICONS.rocket} size={15} />
              {mode === "live" ? "Live" : "Go live now"}
            </button>
            <button class="btn" type="button" data-testid="open-recovery" disabled={mode === "recovery" || busy} onClick={() => void ws.lanes.setMode("recovery")}>
              Open recovery path
            </button>
          </div>
          <p class="muted small" data-testid="mode-line">
            {`Mode: ${MODE_LABEL[mode] || mode}`}
            {s.work.modeBy ? ` · set by ${s.work.modeBy}${s.work.modeAt ? ` at ${formatTime(s.work.modeAt)}` : ""}` : ""}
          </p>
        </section>
        <section style={{ order: first === "recovery" ? 1 : 3 }} class={`card path${mode === "recovery" ? " active" : ""}`}>
          <div class="eyebrow">Live recovery path</div>
          <h2>Keep the live chat lane readable and recoverable</h2>
          <p class="muted">
            When presence, typing or callback dispatch drifts, send the team to the exact lane that can recover the conversation without breaking the thread.
          </p>
          <ul class="steps">
            <li>
              <strong>Read live state</strong> Keep typing, delivery and presence together in one lane.
            </li>
            <li>
              <strong>Fix next</strong> Move to tickets, callbacks or support command based on the pressure.
            </li>
            <li>
              <strong>Go live now</strong> Hand off to launch mode once the live lane is stable.
            </li>
          </ul>
        </section>
      </div>
      <div class="lanes">
        {lane("live_chat", "Live chat", [
          ["Active chats", p.active_chats],
          ["Waiting for a reply", p.unanswered_chats, !!p.unanswered_chats],
          ["Longest wait", age(p.oldest_unanswered_chat_s)],
        ])}
        {lane("callbacks", "Callbacks", [
          ["Queued", p.callback_queued],
          ["Overdue", p.callback_overdue, !!p.callback_overdue],
          ["Oldest overdue", age(p.oldest_overdue_callback_s)],
        ])}
        {lane("tickets", "Tickets", [
          ["Open", p.open_tickets],
          ["Waiting internal", p.waiting_internal, !!p.waiting_internal],
          ["Oldest waiting", age(p.oldest_waiting_ticket_s)],
        ])}
        {lane("support_command", "Drift", [
          ["Agents available", p.agents_available, !p.agents_available],
          ["Presence drift", p.presence_drift, !!p.presence_drift],
          ["Typing drift", p.typing_drift, !!p.typing_drift],
          ["Failing deliveries", p.failing_deliveries, !!p.failing_deliveries],
        ])}
      </div>
      <section class="card owners">
        <div class="eyebrow">
          <Icon d={ICONS.users} size={14} />
          Owners
        </div>
        {owners.size ? (
          <table>
            <thead>
              <tr>
                <th>Agent</th>
                <th>Chats</th>
                <th>Tickets</th>
                <th>Calls</th>
              </tr>
            </thead>
            <tbody>
              {Array.from(owners.values()).map((o) => (
                <tr>
                  <td>{o.name}</td>
                  <td>{String(o.chats)}</td>
                  <td>{String(o.tickets)}</td>
                  <td>{String(o.calls)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : (
          <p class="muted">Nobody owns open work yet.</p>
        )}
        {s.modeHistory.length ? (
          <div class="history">
            <h3>Mode changes</h3>
            <ul>
              {s.modeHistory.slice(0, 5).map((m) => (
                <li>
                  <span>{m.change}</span>
                  <span class="muted">{` · ${m.by.name} · ${formatAgo(m.at)}`}</span>
                </li>
              ))}
            </ul>
          </div>
        ) : null}
      </section>
    </main>
  );
}

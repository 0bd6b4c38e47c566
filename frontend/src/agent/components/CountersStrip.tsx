// The counters strip (open tickets, waiting internal, callbacks queued and
// overdue, active chats, agents available) and the view switcher beside it.

import type { Counters } from "../../shared/types";
import type { View } from "../store/state";
import { EMPTY_COUNTERS } from "../work";
import { Icon, ICONS, useWorkspace } from "./ui";

const TILES: { key: keyof Counters; label: string; hint: string; view: View; focus?: string }[] = [
  { key: "open_tickets", label: "Open tickets", hint: "Tickets not solved yet", view: "tickets" },
  { key: "waiting_internal", label: "Waiting internal", hint: "Blocked on another internal team", view: "tickets" },
  { key: "callback_queued", label: "Callback queued", hint: "Customers waiting for a call", view: "lane", focus: "motor" },
  { key: "callback_overdue", label: "Callback overdue", hint: "Past their due time", view: "lane", focus: "motor" },
];

export function CountersStrip() {
  const ws = useWorkspace();
  const c = ws.state.work.counters;
  const cc = c || EMPTY_COUNTERS;
  return (
    <section class="strip" aria-label="Hub counters" data-testid="counters-strip">
      {TILES.map((tile) => {
        const value = c ? c[tile.key] : null;
        const hot = tile.key === "callback_overdue" && !!value;
        return (
          <button
            type="button"
            class={`tile${hot ? " hot" : ""}${value === null ? " loading" : ""}`}
            data-testid={`counter-${tile.key}`}
            data-value={value === null ? "" : String(value)}
            title={tile.hint}
            onClick={() => {
              ws.showView(tile.view);
              if (tile.focus) setTimeout(() => document.getElementById(tile.focus!)?.scrollIntoView({ block: "start", behavior: "smooth" }), 0);
            }}
          >
            <span class="tile-label">{tile.label}</span>
            <span class="tile-value" aria-live="polite">
              {value === null ? "–" : String(value)}
            </span>
          </button>
        );
      })}
      <div class="strip-meta">
        <span data-testid="counter-active_chats" data-value={c ? String(cc.active_chats) : ""}>
          <strong>{c ? String(cc.active_chats) : "–"}</strong>
          {cc.active_chats === 1 ? " active chat" : " active chats"}
        </span>
        <span data-testid="counter-agents_available" data-value={c ? String(cc.agents_available) : ""}>
          <strong>{c ? String(cc.agents_available) : "–"}</strong>
          {cc.agents_available === 1 ? " agent available" : " agents available"}
        </span>
      </div>
    </section>
  );
}

const VIEWS: [View, string, string[]][] = [
  ["lane", "Live lane", ICONS.chat],
  ["tickets", "Tickets", [ICONS.ticket[0]]],
  ["command", "Support command", ICONS.gauge],
  ["desk", "Desk setup", ICONS.sliders],
];

export function ViewNav() {
  const ws = useWorkspace();
  const view = ws.state.view;
  return (
    <nav class="views" aria-label="Views">
      {VIEWS.map(([v, label, d]) => (
        <button
          type="button"
          class={`vtab${v === view ? " active" : ""}`}
          data-view={v}
          data-testid={`view-${v}`}
          aria-current={v === view ? "page" : "false"}
          onClick={() => ws.showView(v)}
        >
          <Icon d={d} size={16} />
          {label}
        </button>
      ))}
    </nav>
  );
}

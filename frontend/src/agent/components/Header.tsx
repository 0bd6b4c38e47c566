// The top bar: tenant, the hub's mode, connection, notifications, your
// presence (with whether the hub can actually reach you) and sign-out.

import type { ConnState } from "../../shared/socket";
import type { PresenceStatus } from "../../shared/types";
import { formatWhen, initials } from "../../shared/util";
import { MODE_LABEL } from "../work";
import { Icon, ICONS, useWorkspace } from "./ui";

const PRESENCE_LABEL: Record<PresenceStatus, string> = {
  available: "Available",
  busy: "Busy",
  away: "Away",
  offline: "Offline",
};

const CONN_LABEL: Record<ConnState, string> = {
  idle: "Connecting…",
  connecting: "Connecting…",
  open: "Connected",
  reconnecting: "Reconnecting…",
  stopped: "Disconnected",
};

export function Header() {
  const ws = useWorkspace();
  const s = ws.state;
  const mode = s.work.mode;
  const p = s.me.presence || { status: "offline", reachable: false };
  const reachable = !!p.reachable && s.conn === "open";
  const reachLabel = reachable ? "Reachable: connected, heartbeats arriving" : "Not reachable: no live connection";
  const name = s.me.name || ws.session.username;
  return (
    <header class="topbar">
      <div class="brand">
        <span class="logo" aria-hidden="true">
          <Icon d={ICONS.chat} size={18} />
        </span>
        <div>
          <div class="brand-name">Flow Conversation Live Hub</div>
          <div class="brand-sub">Live chat, presence and delivery</div>
        </div>
      </div>
      <span class="chip" data-testid="tenant">
        Tenant: <strong>{s.me.tenant}</strong>
      </span>
      <button
        class="chip mode"
        type="button"
        data-testid="hub-mode"
        data-mode={mode || ""}
        title={s.work.modeBy ? `Set by ${s.work.modeBy}` : "The hub's mode"}
        onClick={() => ws.showView("command")}
      >
        Mode: <strong>{mode ? MODE_LABEL[mode] || mode : "…"}</strong>
      </button>
      <TeamChip />
      <div class="spacer" />
      <div class="conn" data-testid="connection-state" role="status" data-state={s.conn}>
        <span class="dot" aria-hidden="true" />
        {CONN_LABEL[s.conn]}
      </div>
      <NotificationsToggle />
      <label class="presence">
        <span class={`reach ${reachable ? "on" : "off"} status-${p.status}`} data-testid="reachable-dot" role="img" title={reachLabel} aria-label={reachLabel} />
        <span class="sr">Status</span>
        <select
          data-testid="presence-select"
          aria-label="Your status"
          data-status={p.status}
          value={p.status}
          onChange={(e) => ws.setPresence((e.currentTarget as HTMLSelectElement).value as PresenceStatus)}
        >
          {(["available", "busy", "away", "offline"] as PresenceStatus[]).map((st) => (
            <option value={st}>{PRESENCE_LABEL[st]}</option>
          ))}
        </select>
      </label>
      <div class="me">
        <span class="avatar small" aria-hidden="true">
          {initials(name)}
        </span>
        <span class="me-name" data-testid="agent-name">
          {name}
        </span>
      </div>
      <button class="icon-btn" type="button" title="Keyboard shortcuts (?)" aria-label="Keyboard shortcuts" onClick={() => ws.setHelp(true)}>
        <Icon d={ICONS.keyboard} size={18} />
      </button>
      <button class="icon-btn" type="button" title="Sign out" aria-label="Sign out" onClick={() => ws.signOut()}>
        <Icon d={ICONS.logout} size={18} />
      </button>
    </header>
  );
}

/**
 * Mute / unmute this agent's sound and desktop notifications (kept per agent in
 * localStorage); while the browser has not been asked yet, a second control
 * asks for desktop notifications. Never asked on page load.
 */
function NotificationsToggle() {
  const ws = useWorkspace();
  const { muted, permission } = ws.state;
  const title = muted
    ? "Notifications muted: no sound, no desktop notification (the tab title still counts)"
    : permission === "denied"
      ? "Sound on; desktop notifications are blocked in this browser's site settings"
      : permission === "granted"
        ? "Notifications on: sound and desktop notifications"
        : "Sound on";
  return (
    <>
      {!muted && permission === "default" ? (
        <button class="link small enable-notify" type="button" data-testid="notifications-enable" onClick={() => void ws.askNotifications()}>
          Enable desktop notifications
        </button>
      ) : null}
      <button
        class={`icon-btn notify${muted ? " muted" : ""}`}
        type="button"
        data-testid="notifications-mute"
        aria-pressed={muted ? "true" : "false"}
        aria-label="Mute notifications"
        title={title}
        onClick={() => ws.setMuted(!muted)}
      >
        <Icon d={muted ? ICONS.bellOff : ICONS.bell} size={18} />
      </button>
    </>
  );
}

/** Whether the team is within its business hours (from the hub), and when it opens. */
function TeamChip() {
  const ws = useWorkspace();
  const team = ws.state.team;
  if (!team) return null;
  const label = team.open ? "Open" : `Closed · opens ${formatWhen(team.next_open_at)}`;
  return (
    <button
      class={`chip team ${team.open ? "open" : "closed"}`}
      type="button"
      data-testid="team-status"
      data-open={team.open ? "true" : "false"}
      title="Business hours (Desk setup)"
      onClick={() => ws.showView("desk")}
    >
      {label}
    </button>
  );
}

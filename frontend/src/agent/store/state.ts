// What the dashboard knows, in one object, and the selectors the components
// read it through (which conversations show, what counts as unread, what the
// tab title counts). No DOM here: the rules are unit-tested (test/state.test.ts).

import type { Thread } from "../../shared/chat";
import type { ConnState } from "../../shared/socket";
import type {
  Blocker,
  CannedReplyView,
  ConversationSnapshot,
  CustomerPanel,
  Hours,
  HubSnapshot,
  PresenceStatus,
  SearchAnswer,
  TeamStatus,
} from "../../shared/types";
import { toMs } from "../../shared/util";
import { WorkState } from "../work";

export interface Me {
  agent_id: string;
  name: string;
  tenant: string;
  presence: { status: PresenceStatus; reachable: boolean; version?: number };
}

/** Our presence as the hub stored it: the highest `version` heard (events, GET /me). */
export interface HubPresence {
  status: PresenceStatus;
  reachable: boolean;
  version: number;
}

export type Filter = "all" | "unassigned" | "mine";
export type View = "lane" | "tickets" | "command" | "desk";
export type Load = "loading" | "ready" | "error";

export interface Toast {
  id: number;
  text: string;
  kind: "error" | "warn" | "info";
}

export interface ModeChange {
  at: string;
  by: { name: string };
  change: string;
}

export type Permission = NotificationPermission | "unsupported";

/** The server search behind the search box (`/`). */
export interface SearchState {
  query: string;
  load: "idle" | Load;
  answer: SearchAnswer | null;
  error: string;
}

export interface AgentState {
  me: Me;
  conn: ConnState;
  /** A status chosen while the hub had not confirmed it yet. */
  presencePending: PresenceStatus | null;
  /** What the hub stored last; `me.presence` shows it unless a change is pending. */
  presenceHub: HubPresence;
  convs: Map<string, ConversationSnapshot>;
  /** The chat core's threads (the same Map the ChatClient fills). */
  threads: Map<string, Thread>;
  listLoad: Load;
  listError: string;
  selectedId: string | null;
  filter: Filter;
  /** The server search (GET /search): its query, state and answer. */
  search: SearchState;
  noteMode: boolean;
  view: View;
  /** Threads whose first sync arrived (their unread count is exact). */
  loaded: Set<string>;
  /** Conversations we are a participant of (receipts need that). */
  joined: Set<string>;
  // Work lanes.
  work: WorkState;
  hub: HubSnapshot | null;
  callbacksLoad: Load;
  ticketsLoad: Load;
  hubLoad: Load;
  loadError: string;
  blockers: Blocker[] | null;
  modeHistory: ModeChange[];
  /** Agents we know by name (ourselves, GET /agents, presence events, participants, owners). */
  agents: Map<string, string>;
  /** Ticket ids, callback ids or "mode" with a request in flight. */
  busy: Set<string>;
  toasts: Toast[];
  // Notifications.
  muted: boolean;
  permission: Permission;
  /** Conversations with a colleague's note mentioning me that I have not looked at yet. */
  mentions: Set<string>;
  /** The keyboard shortcuts overlay is open. */
  help: boolean;
  // The agent's desk.
  canned: CannedReplyView[];
  cannedLoad: Load;
  hours: Hours | null;
  hoursLoad: Load;
  /** Whether the team is within its business hours (GET /hub, `counters` events). */
  team: TeamStatus | null;
  /** Customer panels by customer id (GET /customers/{id}). */
  customers: Map<string, CustomerPanel>;
  customerLoad: Map<string, Load>;
  /** A ticket or callback id opened from search or the customer panel (flashed once shown). */
  highlight: string | null;
  /** Ticks every 20 s so relative times ("5m", "due in 3 min") move on their own. */
  now: number;
}

export function initialState(me: Me, threads: Map<string, Thread>, muted: boolean, permission: Permission): AgentState {
  return {
    me,
    conn: "idle",
    presencePending: null,
    presenceHub: { status: me.presence.status, reachable: me.presence.reachable, version: me.presence.version ?? 0 },
    convs: new Map(),
    threads,
    listLoad: "loading",
    listError: "",
    selectedId: null,
    filter: "all",
    search: { query: "", load: "idle", answer: null, error: "" },
    noteMode: false,
    view: "lane",
    loaded: new Set(),
    joined: new Set(),
    work: new WorkState(),
    hub: null,
    callbacksLoad: "loading",
    ticketsLoad: "loading",
    hubLoad: "loading",
    loadError: "",
    blockers: null,
    modeHistory: [],
    agents: new Map([[me.agent_id, me.name]]),
    busy: new Set(),
    toasts: [],
    muted,
    permission,
    mentions: new Set(),
    help: false,
    canned: [],
    cannedLoad: "loading",
    hours: null,
    hoursLoad: "loading",
    team: null,
    customers: new Map(),
    customerLoad: new Map(),
    highlight: null,
    now: Date.now(),
  };
}

// ---- selectors ----------------------------------------------------------------

/** A conversation the customer opened but has not written in yet. */
export function idle(c: ConversationSnapshot): boolean {
  return !c.preview && (c.last_seq || 0) === 0;
}

export function activity(c: ConversationSnapshot): number {
  const a = toMs(c.preview?.at);
  const b = toMs(c.updated_at);
  return Math.max(isFinite(a) ? a : 0, isFinite(b) ? b : 0);
}

/** Mine: I own it or I am one of its agents. */
export function isMine(s: AgentState, c: ConversationSnapshot): boolean {
  const me = s.me.agent_id;
  return c.owner?.id === me || s.joined.has(c.id) || !!c.participants?.some((p) => p.role === "agent" && p.id === me);
}

/** Waiting in the lobby: open, nobody owns it, and the customer has written. */
export function inLobby(c: ConversationSnapshot): boolean {
  return !c.owner && c.status !== "closed" && !idle(c);
}

/**
 * Customer messages I have not read. Only what the customer wrote counts: never
 * my own messages, system lines or notes (issue 10, item 11). Exact once the
 * thread is loaded; a conversation the dashboard does not follow counts 0.
 */
export function unread(s: AgentState, c: ConversationSnapshot): number {
  const t = s.threads.get(c.id);
  if (!t || !s.loaded.has(c.id)) return 0;
  let n = 0;
  for (const m of t.bySeq.values()) {
    if (!m.own && m.kind === "text" && m.author.role === "customer" && (m.seq ?? 0) > Math.max(t.readSent, t.readLocal)) n++;
  }
  return n;
}

export function filterCounts(s: AgentState): Record<Filter, number> {
  const all = Array.from(s.convs.values());
  return {
    all: all.length,
    unassigned: all.filter((c) => inLobby(c)).length,
    mine: all.filter((c) => c.owner?.id === s.me.agent_id).length,
  };
}

/** The list as shown: the filter tab, newest activity first. */
export function visibleConvs(s: AgentState): ConversationSnapshot[] {
  const me = s.me.agent_id;
  return Array.from(s.convs.values())
    .filter((c) => (s.filter === "unassigned" ? !c.owner && !idle(c) : s.filter === "mine" ? c.owner?.id === me : true))
    .sort((a, b) => activity(b) - activity(a));
}

/** The next conversation after the selected one (in list order, wrapping) with unread messages. */
export function nextUnread(s: AgentState): string | null {
  const list = visibleConvs(s);
  const start = s.selectedId ? list.findIndex((c) => c.id === s.selectedId) : -1;
  for (let i = 1; i <= list.length; i++) {
    const c = list[(start + i + list.length) % list.length];
    if (c.id !== s.selectedId && unread(s, c) > 0) return c.id;
  }
  return null;
}

/** Overdue callbacks the hub alerted about that still wait for someone to claim them. */
export function pendingAlerts(s: AgentState): number {
  let n = 0;
  for (const id of s.work.alerted) if (s.work.callbacks.get(id)?.status === "queued") n++;
  return n;
}

/**
 * The count in the tab title: unread customer messages in my chats and in the
 * lobby, unseen mentions of me, and overdue callbacks still waiting.
 */
export function attention(s: AgentState): number {
  let n = 0;
  for (const c of s.convs.values()) if (c.status !== "closed" && (isMine(s, c) || inLobby(c))) n += unread(s, c);
  return n + s.mentions.size + pendingAlerts(s);
}

export const BASE_TITLE = "Agent workspace · Flow Conversation Live Hub";

export function titleFor(count: number): string {
  return count > 0 ? `(${count > 99 ? "99+" : count}) ${BASE_TITLE}` : BASE_TITLE;
}

/** Our presence as the hub reports it (a `presence` event about us, or GET /me): kept only when
 *  its version is at least the one we hold. Two changes racing (two tabs, a tab and the drift
 *  sweep) reach us in either order; the higher version is the one the hub stored last. On screen
 *  a change still pending stays until the hub answers it. Returns whether it was kept. */
export function heardPresence(s: AgentState, p: { status: PresenceStatus; reachable: boolean; version?: number }): boolean {
  const version = p.version ?? 0;
  if (version < s.presenceHub.version) return false;
  s.presenceHub = { status: p.status, reachable: p.reachable, version };
  s.me = { ...s.me, presence: { status: s.presencePending ?? p.status, reachable: p.reachable } };
  return true;
}

/** Nothing pending any more (the hub answered our last change, or refused it): show what the
 *  hub stored last, which is our change unless another tab's came after it. */
export function settlePresence(s: AgentState): void {
  s.presencePending = null;
  s.me = { ...s.me, presence: { status: s.presenceHub.status, reachable: s.presenceHub.reachable } };
}

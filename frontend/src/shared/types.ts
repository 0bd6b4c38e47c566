// Shapes of the hub's WebSocket protocol (docs/protocol.md) and REST API.

export type Role = "customer" | "agent" | "system";
export type PresenceStatus = "available" | "busy" | "away" | "offline";

export interface HubConfig {
  apiUrl: string;
  wsUrl: string;
  cognito?: {
    endpoint?: string;
    region: string;
    userPoolId: string;
    clientId: string;
  };
}

export interface Person {
  role: Role;
  id: string;
  name: string;
}

export interface Participant {
  role: "customer" | "agent";
  id: string;
  name: string;
  agent_role?: "owner" | "helper";
  delivered_seq: number;
  read_seq: number;
}

export interface Preview {
  text: string;
  author_role: Role;
  at: string;
}

export interface ConversationSnapshot {
  id: string;
  status: "open" | "closed";
  created_at: string;
  updated_at: string;
  customer: { id: string; name: string };
  owner: { id: string; name: string } | null;
  participants: Participant[];
  last_seq: number;
  preview: Preview | null;
}

export type MessageKind = "text" | "note" | "system";

export interface MessageEvent {
  type: "message";
  conversation_id: string;
  seq: number;
  prev_seq: number;
  client_id: string;
  kind: MessageKind;
  author: Person;
  text: string;
  created_at: string;
}

export interface ConversationEvent {
  type: "conversation";
  request_id?: string;
  agents_available?: boolean;
  conversation: ConversationSnapshot;
}

export interface AckEvent {
  type: "ack";
  action: string;
  request_id?: string;
  conversation_id?: string;
  client_id?: string;
  seq?: number;
  status?: "sent" | "sent-again";
  created_at?: string;
}

export interface CursorEvent {
  type: "delivered" | "read";
  conversation_id: string;
  by: Person;
  seq: number;
}

export interface TypingEvent {
  type: "typing";
  conversation_id: string;
  by: Person;
  state: "start" | "stop";
  note?: boolean;
}

export interface PresenceEvent {
  type: "presence";
  agent: { id: string; name: string };
  status: PresenceStatus;
  reachable: boolean;
  heartbeat_at: string;
}

export interface SyncEvent {
  type: "sync";
  request_id?: string;
  conversation_id: string;
  since: number;
  messages: MessageEvent[];
  conversation: ConversationSnapshot;
  complete: boolean;
  next_since?: number;
}

export interface ErrorEvent {
  type: "error";
  code: string;
  message: string;
  request_id?: string;
  action?: string;
  client_id?: string;
  conversation_id?: string;
}

// ---- work lanes: callbacks, tickets, counters, mode ---------------------------

export type CallbackStatus = "queued" | "claimed" | "completed" | "failed" | "cancelled";
export type CallbackWindow = "asap" | "morning" | "afternoon" | "evening";

export interface CallbackView {
  id: string;
  status: CallbackStatus;
  source?: string;
  phone: string;
  customer_name?: string | null;
  conversation_id?: string | null;
  reason?: string | null;
  window?: CallbackWindow | string | null;
  priority: "normal" | "high";
  overdue: boolean;
  due_at: string;
  due_in_seconds?: number;
  attempts: number;
  max_attempts?: number;
  claimed_by: { id: string; name: string } | null;
  created_at?: string;
  updated_at?: string;
}

export type TicketStatus = "open" | "waiting_internal" | "waiting_customer" | "solved";

export interface TicketView {
  id: string;
  subject: string;
  status: TicketStatus;
  waiting_on: string | null;
  owner: { id: string; name: string };
  conversation_id: string | null;
  customer: { id: string; name: string } | null;
  created_at: string;
  updated_at: string;
  status_at?: string;
}

export interface Counters {
  open_tickets: number;
  waiting_internal: number;
  callback_queued: number;
  callback_overdue: number;
  active_chats: number;
  agents_available: number;
}

export type HubMode = "ready" | "live" | "recovery";
export type Lane = "live_chat" | "tickets" | "callbacks" | "support_command";

export interface Blocker {
  code: string;
  message: string;
  lane: Lane;
}

export interface HubSnapshot {
  tenant: string;
  mode: { mode: HubMode; at: string | null; by: string | null };
  counters: Counters;
  pressure: Record<string, number | null>;
  next_move: { lane: Lane; reason: string; severity: "calm" | "attention" | "urgent"; rule: string };
  launch: { ready: boolean; headline: string; blockers: Blocker[] };
}

export interface CallbackEvent {
  type: "callback";
  action: string;
  callback: CallbackView;
}

export interface CallbackAlertEvent {
  type: "callback_alert";
  callback: CallbackView;
}

export interface TicketEvent {
  type: "ticket";
  ticket: TicketView;
}

export interface CountersEvent {
  type: "counters";
  counters: Counters;
}

export interface ModeEvent {
  type: "mode";
  mode: HubMode;
  by: string;
  at: string;
}

export type ServerEvent =
  | CallbackEvent
  | CallbackAlertEvent
  | TicketEvent
  | CountersEvent
  | ModeEvent
  | MessageEvent
  | ConversationEvent
  | AckEvent
  | CursorEvent
  | TypingEvent
  | PresenceEvent
  | SyncEvent
  | ErrorEvent;

/** Delivery state of one's own message, as shown next to it. */
export type DeliveryState =
  | "sending"
  | "sent"
  | "sent-again"
  | "delivered"
  | "read"
  | "retry"
  | "failed";

export const MAX_TEXT = 4000;

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

export type ServerEvent =
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

/**
 * The events of a chat room. They travel between rockets as frames (see frame.ts), are
 * printed one per line by `--json`, and are rendered as text for plain clients.
 */
export interface MessageEvent {
  type: 'message';
  /** Unique per message: rockets drop duplicates by it, acknowledgements name it. */
  id: string;
  /** Milliseconds since the epoch, set by the room when it accepted the message. */
  ts: number;
  from: string;
  text: string;
  /** Set on a private message: the one recipient. */
  to?: string;
  /** A `/me` action rather than something said. */
  action?: boolean;
}

export interface JoinEvent {
  type: 'join';
  nick: string;
  ts: number;
}

export interface LeaveEvent {
  type: 'leave';
  nick: string;
  ts: number;
  reason?: string;
}

export interface NickEvent {
  type: 'nick';
  from: string;
  to: string;
  ts: number;
}

export interface InfoEvent {
  type: 'info';
  text: string;
}

export interface ErrorEvent {
  type: 'error';
  code: string;
  text: string;
}

export interface WhoEvent {
  type: 'who';
  nicks: string[];
}

/** First frame a rocket gets from a room after the upgrade. */
export interface WelcomeEvent {
  type: 'welcome';
  nick: string;
  room: string;
  version: number;
  members: string[];
}

/** The room accepted the message with this id (sent to its author only). */
export interface AckEvent {
  type: 'ack';
  id: string;
}

/** The room is closing or has closed this connection. */
export interface ByeEvent {
  type: 'bye';
  text: string;
}

export type ChatEvent =
  | MessageEvent
  | JoinEvent
  | LeaveEvent
  | NickEvent
  | InfoEvent
  | ErrorEvent
  | WhoEvent
  | WelcomeEvent
  | AckEvent
  | ByeEvent;

/** What a rocket client sends to a room. */
export type ClientRequest =
  | { type: 'hello'; version: number; nick?: string; client: string }
  /** A line the user typed: text, or a /command that the room interprets. */
  | { type: 'say'; id: string; text: string }
  | { type: 'quit'; text?: string }
  | { type: 'ping'; seq: number }
  | { type: 'pong'; seq: number };

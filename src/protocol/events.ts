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
  /** A letter from the store: a rocket acknowledges it with a `received` request. */
  stored?: boolean;
}

/** A letter was stored for an offline recipient (sent to its author only). */
export interface StoredEvent {
  type: 'stored';
  id: string;
  to: string;
}

/** Logged in to a claimed nick; `waiting` letters follow, then `inbox-end`. */
export interface LoginEvent {
  type: 'login';
  nick: string;
  waiting: number;
  /** The nick was free and is now claimed with the secret (a registration, not a login). */
  registered?: true;
}

/** Every letter that was waiting at login has been handed over. */
export interface InboxEndEvent {
  type: 'inbox-end';
  count: number;
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
  /** The request this error answers, when it answers one (a letter that was refused). */
  id?: string;
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
  /** Messages a second the room reads from one member; a rocket paces its letters to it. */
  rate?: number;
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
  | ByeEvent
  | StoredEvent
  | LoginEvent
  | InboxEndEvent;

/** What a rocket client sends to a room. */
export type ClientRequest =
  /** `password` logs in to a claimed nick, or claims it if nobody has. */
  | {
      type: 'hello';
      version: number;
      nick?: string;
      password?: string;
      /** false: log in only; a nick nobody has claimed is not claimed (rocket inbox). */
      claim?: boolean;
      roomPassword?: string;
      client: string;
    }
  /** A letter: stored for `to` and confirmed with `stored` (or refused with an error carrying `id`). */
  | { type: 'mail'; id: string; to: string; text: string }
  /** Letters (by id) that reached the person: the room may forget them. */
  | { type: 'received'; ids: string[] }
  /** A line the user typed: text, or a /command that the room interprets. */
  | { type: 'say'; id: string; text: string }
  | { type: 'quit'; text?: string }
  | { type: 'ping'; seq: number }
  | { type: 'pong'; seq: number };

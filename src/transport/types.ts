/**
 * A byte link to one peer, as the chat layer sees it. The chat layer never touches
 * node:net or node:dgram: TCP sockets and UDP peers are both Links.
 */
export interface Link {
  /** The peer's address for people: "127.0.0.1:50000". */
  readonly label: string;
  /** Queues bytes for the peer; writes made in one event-loop turn go out together. */
  write(data: Buffer): void;
  /** Bytes accepted by write() that the peer has not taken yet. */
  readonly queuedBytes: number;
  /** Sends what is queued, then closes our sending half (TCP FIN). */
  end(): void;
  /** Closes at once, dropping what is queued. */
  destroy(): void;
}

/**
 * A byte link to one peer, as the chat layer sees it. The chat layer never touches
 * node:net or node:dgram: TCP sockets and UDP peers are both Links.
 */
export interface Link {
  /** The peer's address for people: "127.0.0.1:50000". */
  readonly label: string;
  /** The peer's IP address alone ("127.0.0.1", "::1"), for per-address limits. */
  readonly address?: string;
  /**
   * Queues bytes for the peer; writes made in one event-loop turn go out together.
   * `onWritten` runs once the bytes were handed to the network, with an error if not.
   */
  write(data: Buffer, onWritten?: (err?: Error | null) => void): void;
  /** Resolves when the queue is short enough to write more (backpressure). */
  whenDrained(): Promise<void>;
  /** Bytes accepted by write() that the peer has not taken yet. */
  readonly queuedBytes: number;
  /** Sends what is queued, then closes our sending half (TCP FIN). */
  end(): void;
  /** Stops reading from the peer for a while (rate limits); absent where there is no flow control. */
  pauseReading?(): void;
  /** True while nothing is read from the peer (rate limits, or the room's backpressure). */
  readonly readingPaused?: boolean;
  resumeReading?(): void;
  /** Closes at once, dropping what is queued. */
  destroy(): void;
}

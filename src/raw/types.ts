import type { Readable, Writable } from 'node:stream';

/** What one raw transfer moved, for the progress line and for library users. */
export interface RawStats {
  bytesSent: number;
  bytesReceived: number;
  durationMs: number;
}

export interface RawCommonOptions {
  /** Use UDP datagrams instead of a TCP stream. */
  udp?: boolean;
  /** Bytes to send: default process.stdin. */
  input?: Readable;
  /** Where received bytes go: default process.stdout. */
  output?: Writable;
  /** Where the progress line goes (bytes, rate); none when undefined. */
  progress?: Writable;
}

export interface RawConnectOptions extends RawCommonOptions {
  host: string;
  port: number;
  /** Give up connecting after this long. */
  connectTimeoutMs?: number;
  /** After the end of input, wait at most this long for the peer (nc -q); default: until the peer closes. */
  quitAfterEofMs?: number;
}

export interface RawListenOptions extends RawCommonOptions {
  /** Address to bind; default every interface (IPv6 and IPv4). */
  host?: string;
  port: number;
  /** Serve the next connection after one ends, instead of exiting (nc -k). */
  keepOpen?: boolean;
  /** Called once the socket is bound, with the real port (useful with port 0). */
  onListening?: (address: { address: string; port: number }) => void;
  /** Aborting stops listening and closes the current connection. */
  signal?: AbortSignal;
}

import type { Readable, Writable } from 'node:stream';
import type { TlsClientOptions, TlsServerOptions } from '../transport/tls.js';

/** What one raw transfer moved, for the progress line and for library users. */
export interface RawStats {
  bytesSent: number;
  bytesReceived: number;
  durationMs: number;
  /** UDP only: datagrams thrown away because the output could not keep up (the buffer cap was hit). */
  datagramsDropped?: number;
}

/** One end of a connection or the sender of a datagram. */
export interface RawPeer {
  address: string;
  port: number;
}

export interface RawCommonOptions {
  /** Use UDP datagrams instead of a TCP stream. */
  udp?: boolean;
  /**
   * Bytes to send: default standard input, read the fastest way its kind allows (a file in
   * 1 MiB reads, a pipe into a reused buffer, a terminal through process.stdin). Passing
   * `process.stdin` is the same as leaving it out, as long as nothing has read from it yet.
   */
  input?: Readable;
  /**
   * Where received bytes go: default process.stdout. Any other stream is ended when the
   * transfer is over; process.stdout and process.stderr are never ended.
   */
  output?: Writable;
  /** Where the progress line goes (bytes, rate); none when undefined. */
  progress?: Writable;
  /**
   * After the end of input, wait at most this long for the peer (nc -q), counted from the
   * moment all input is with the kernel (our FIN is out, or the last datagram sent). Default:
   * until the peer closes (TCP), or forever (UDP, which has no close: stop it with the signal).
   */
  quitAfterEofMs?: number;
  /**
   * TCP: end as soon as the peer closes its sending half, even if input continues. Default:
   * true when input is a terminal (a person typing wants to be told the server hung up),
   * false otherwise (half-close is symmetric: the rest of the input is still sent, like nc).
   */
  exitOnPeerEnd?: boolean;
  /** Aborting ends the transfer at once (the promise resolves with what was moved so far). */
  signal?: AbortSignal;
}

export interface RawConnectOptions extends RawCommonOptions {
  host: string;
  port: number;
  /** Give up connecting after this long. */
  connectTimeoutMs?: number;
  /** Connect over TLS (not with udp), trusting the peer as these options say. */
  tls?: TlsClientOptions;
}

export interface RawListenOptions extends RawCommonOptions {
  /** Address to bind; default every interface (IPv6 and IPv4). */
  host?: string;
  port: number;
  /**
   * TCP: serve the next connection after one ends, instead of exiting (nc -k). Connections
   * that arrive while one is being served wait in a short queue, like nc -k's listen backlog.
   */
  keepOpen?: boolean;
  /** Called once the socket is bound, with the real port (useful with port 0). */
  onListening?: (address: RawPeer) => void;
  /** TCP: called when a connection starts being served; UDP: when a new peer is first heard from. */
  onConnection?: (peer: RawPeer) => void;
  /**
   * With keepOpen, a connection that fails (e.g. reset by its peer) does not stop the
   * listener: its error goes here instead (dropped when this is not set).
   */
  onConnectionError?: (error: Error) => void;
  /** Serve TLS (not with udp): each connection is decrypted before its bytes reach the output. */
  tls?: TlsServerOptions;
}

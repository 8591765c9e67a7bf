/**
 * What one probe of a port found, for TCP and UDP alike:
 * - `open`: TCP: the three-way handshake completed; UDP: a rocket answered the ping;
 * - `closed`: the host answered that nobody listens (TCP reset, or ICMP port unreachable for UDP),
 *   so the host is up;
 * - `timeout`: no answer within the time limit (host down, a firewall drops the packets, or
 *   for UDP a listener that does not answer pings);
 * - `unreachable`: the network said there is no route (EHOSTUNREACH, ENETUNREACH), or a
 *   local firewall refused (EACCES, EPERM);
 * - `error`: anything else, e.g. out of file descriptors; `error` holds the errno.
 */
export type ProbeState = 'open' | 'closed' | 'timeout' | 'unreachable' | 'error';

export interface ProbeResult {
  state: ProbeState;
  /** Round-trip time in milliseconds; set for `open` and `closed`, the two kinds of answer. */
  timeMs?: number;
  /** The errno code behind `unreachable` and `error`, e.g. "EHOSTUNREACH". */
  error?: string;
  /**
   * UDP `open` only: what answered was not a rocket's pong (an echo service sends the ping
   * back, say): something listens on the port, but it is not a rocket room.
   */
  foreign?: true;
}

export interface ProbeOptions {
  timeoutMs: number;
  /** Aborting ends the probe at once and rejects with the signal's reason. */
  signal?: AbortSignal;
}

const UNREACHABLE = new Set(['EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENETDOWN', 'EACCES', 'EPERM']);

/** Sorts a socket error into a probe result; `timeMs` is kept for a refusal, which is an answer. */
export function resultOfSocketError(err: unknown, timeMs: number): ProbeResult {
  const code =
    typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string'
      ? err.code
      : 'EUNKNOWN';
  if (code === 'ECONNREFUSED') return { state: 'closed', timeMs };
  if (code === 'ETIMEDOUT') return { state: 'timeout' };
  if (UNREACHABLE.has(code)) return { state: 'unreachable', error: code };
  return { state: 'error', error: code };
}

/** Milliseconds since a process.hrtime.bigint() reading, with microsecond resolution. */
export function millisecondsSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

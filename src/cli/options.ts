import { InvalidArgumentError } from 'commander';
import { UsageError } from '../errors.js';
import { lookupService, suggestServiceNames } from '../netutil/services.js';

// Option parsers shared by the subcommands: they reject bad values before any socket opens.

/** A port to listen on: 0 asks the system for any free one. */
export function parsePort(value: string): number {
  return parsePortFrom(value, 0);
}

/** A port to reach (connect, send, ping), or a service name as nc takes it ("ssh"): 0 is nobody's. */
export function parsePeerPort(value: string): number {
  if (/^[a-z][\w+.-]*$/i.test(value.trim())) {
    const service = lookupService(value);
    // A name registered for UDP alone (a few are) still names its port.
    const port = service?.tcp[0] ?? service?.udp[0];
    if (port !== undefined) return port;
    const like = suggestServiceNames(value, 1)[0];
    throw new InvalidArgumentError(
      `"${value}" is neither a port number nor a service name: use e.g. 8888 or ssh` +
        (like === undefined ? '' : ` (did you mean ${like}?)`),
    );
  }
  const port = parsePortFrom(value, 1);
  if (port === 0)
    throw new InvalidArgumentError(
      'port 0 cannot be connected to: give the port the other side listens on, 1 to 65535',
    );
  return port;
}

function parsePortFrom(value: string, lowest: number): number {
  if (!/^\d+$/.test(value.trim())) {
    throw new InvalidArgumentError(
      `"${value}" is not a port number: use a whole number from ${lowest} to 65535, e.g. 8888`,
    );
  }
  const port = Number(value);
  if (port > 65535) {
    throw new InvalidArgumentError(
      `port ${port} is out of range: ports go from ${lowest} to 65535, e.g. 8888`,
    );
  }
  return port;
}

/** The longest a Node.js timer waits (2^31 - 1 ms); past it a timer fires after 1 ms. */
const MAX_TIMER_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

export function parseSeconds(value: string): number {
  const seconds = Number(value);
  if (value.trim() === '' || !Number.isFinite(seconds) || seconds < 0) {
    throw new InvalidArgumentError(`"${value}" is not a number of seconds: use e.g. 1 or 0.5`);
  }
  if (seconds > MAX_TIMER_SECONDS) {
    throw new InvalidArgumentError(
      `${value} seconds is longer than rocket can wait: at most ${MAX_TIMER_SECONDS} (about 24 days)`,
    );
  }
  return seconds;
}

/** A time to give up after: 0 would give up before trying. */
export function parseTimeout(value: string): number {
  const seconds = parseSeconds(value);
  if (seconds === 0)
    throw new InvalidArgumentError('the timeout must be more than 0 seconds, e.g. 10 or 0.5');
  return seconds;
}

export function parsePositiveInt(value: string): number {
  if (!/^\d+$/.test(value.trim()) || Number(value) < 1) {
    throw new InvalidArgumentError(`"${value}" is not a positive whole number`);
  }
  return Number(value);
}

/** The address family -4 or -6 asks for; both at once is a usage error. */
export function addressFamily(flags: { ipv4?: boolean; ipv6?: boolean }): 4 | 6 | undefined {
  if (flags.ipv4 && flags.ipv6)
    throw new UsageError('-4 and -6 together: give one, or neither for the first address the host has');
  return flags.ipv4 ? 4 : flags.ipv6 ? 6 : undefined;
}

import { isIP } from 'node:net';
import { UsageError } from '../errors.js';
import { formatHostPort } from '../transport/socket-errors.js';
import { parsePeerPort } from './options.js';

/** Reads "HOST", "HOST:PORT", "[IPv6]:PORT" or a bare IPv6 address; the port defaults to 8888. */
export function parseHostPort(value: string, defaultPort = 8888): { host: string; port: number } {
  const bracketed = /^\[([^\]]+)\](?::(.*))?$/.exec(value);
  if (bracketed) {
    const [, host, port] = bracketed as unknown as [string, string, string | undefined];
    if (port !== undefined && port.trim() === '')
      throw new UsageError(
        `"${value}" has no port after the colon: use [${host}]:PORT, or [${host}] for port 8888`,
      );
    return { host, port: port === undefined ? defaultPort : checkedPort(port) };
  }
  if (value.startsWith('[') || value.includes(']'))
    throw new UsageError(`"${value}" is not a host: write an IPv6 address as [::1] or [::1]:8888`);
  const colons = value.split(':').length - 1;
  if (colons === 1) {
    const [host, port] = value.split(':') as [string, string];
    if (host === '')
      throw new UsageError(`"${value}" has no host: use HOST or HOST:PORT, e.g. localhost:8888`);
    if (port.trim() === '')
      throw new UsageError(
        `"${value}" has no port after the colon: use ${host}:PORT, or ${host} for port 8888`,
      );
    return { host, port: checkedPort(port) };
  }
  if (value === '') throw new UsageError('a host is needed: use HOST or HOST:PORT, e.g. localhost:8888');
  if (colons > 1 && isIP(value) === 0) {
    // "::1:9000": an IPv6 address and a port, written as only brackets can tell apart.
    const cut = value.lastIndexOf(':');
    const [address, port] = [value.slice(0, cut), value.slice(cut + 1)];
    throw new UsageError(
      isIP(address) === 6 && /^\d+$/.test(port)
        ? `"${value}" is not an IPv6 address: with a port, write [${address}]:${port}`
        : `"${value}" is not a host: write an IPv6 address as [::1] or [::1]:8888`,
    );
  }
  return { host: value, port: defaultPort };
}

function checkedPort(text: string): number {
  try {
    return parsePeerPort(text);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** "HOST [PORT]", as nc takes it, or "HOST:PORT" / "[IPv6]:PORT": connect, inbox and ping take both. */
export function parseTarget(
  target: string,
  portArgument: number | undefined,
  defaultPort = 8888,
): { host: string; port: number } {
  const named = parseHostPort(target, -1);
  if (named.port !== -1 && portArgument !== undefined)
    throw new UsageError(`the port is given twice ("${target}" and ${portArgument}): give it once`);
  return { host: named.host, port: named.port !== -1 ? named.port : (portArgument ?? defaultPort) };
}

/**
 * `rocket send HOST PORT text`, as connect is typed, would send "PORT text" to port 8888: the
 * letter's first word must not be a port when the room was named without one.
 */
export function checkLetterIsNotAPort(target: string, words: string[]): void {
  const first = words[0];
  if (first === undefined || !/^\d{1,5}$/.test(first) || Number(first) < 1 || Number(first) > 65535) return;
  const named = parseHostPort(target, -1);
  if (named.port !== -1) return;
  throw new UsageError(
    `"${first}" looks like a port: write the room as ${formatHostPort(named.host, Number(first))}` +
      ' (a letter that starts with a number: quote it whole, e.g. "3 apples", or send it on stdin)',
  );
}

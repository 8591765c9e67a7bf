import { UsageError } from '../errors.js';
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
  return { host: value, port: defaultPort };
}

function checkedPort(text: string): number {
  try {
    return parsePeerPort(text);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

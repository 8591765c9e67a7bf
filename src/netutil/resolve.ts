import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { RocketError, UsageError } from '../errors.js';

export interface ResolvedHost {
  /** What was asked for, without IPv6 brackets. */
  host: string;
  /** The IP address probes go to. */
  address: string;
  family: 4 | 6;
}

/**
 * Resolves a host name once, so that every probe of a ping or scan goes to the same
 * address and measures only the network, not DNS. IP literals (also "[::1]") are
 * returned as they are. `family` 4 or 6 insists on that address family, which helps
 * with names like localhost that have both. Throws a RocketError with code
 * ROCKET_ERR_UNKNOWN_HOST when the name does not resolve.
 *
 * @example
 * await resolveHost('localhost'); // { host: 'localhost', address: '127.0.0.1', family: 4 }
 * await resolveHost('[::1]'); // { host: '::1', address: '::1', family: 6 }
 */
export async function resolveHost(host: string, family?: 4 | 6): Promise<ResolvedHost> {
  const name = host.trim().replace(/^\[(.*)\]$/, '$1');
  if (name === '') throw new UsageError('no host given: use a name or an IP address, e.g. 127.0.0.1');
  const literal = isIP(name);
  if (literal !== 0) {
    if (family !== undefined && literal !== family) {
      throw new UsageError(`${name} is an IPv${literal} address, but IPv${family} was asked for`);
    }
    return { host: name, address: name, family: literal as 4 | 6 };
  }
  try {
    const found = await lookup(name, { family: family ?? 0 });
    return { host: name, address: found.address, family: found.family as 4 | 6 };
  } catch (err) {
    const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : '';
    const action = `Cannot resolve host "${name}"`;
    if (code === 'EAI_AGAIN') {
      throw new RocketError(
        'ROCKET_ERR_UNKNOWN_HOST',
        `${action}: the name server did not answer; check the network, or use an IP address`,
        { cause: err },
      );
    }
    if (family !== undefined && (code === 'ENOTFOUND' || code === 'ENODATA' || code === 'EAI_NODATA')) {
      throw new RocketError('ROCKET_ERR_UNKNOWN_HOST', `${action}: it has no IPv${family} address`, {
        cause: err,
      });
    }
    throw new RocketError(
      'ROCKET_ERR_UNKNOWN_HOST',
      `${action}: unknown host; check the name, or use an IP address`,
      {
        cause: err,
      },
    );
  }
}

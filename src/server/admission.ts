import net from 'node:net';
import { UsageError } from '../errors.js';

export interface AdmissionOptions {
  /** Only these networks may connect (CIDR or single addresses, IPv4 and IPv6). */
  allow?: string[];
  /** These networks may not; deny wins over allow. */
  deny?: string[];
  /** Connections (TCP) or peers (UDP) at once. */
  maxConnections?: number;
  /** Connections at once from one address (default 1,000 over TCP, 100 UDP peers). */
  maxPerAddress?: number;
}

export const DEFAULT_MAX_CONNECTIONS = 20_000;
export const DEFAULT_MAX_PER_ADDRESS = 1000;
/**
 * UDP peers from one address, by default. A peer costs nothing to make (no handshake), and
 * each one hears everything: 800 source ports of one host, each within its rate, kept a
 * room busy for 9 s and drew 80 times their traffic back (a flood drill).
 */
export const DEFAULT_UDP_MAX_PER_ADDRESS = 100;

/** "10.0.0.0/8", "192.168.1.7", "fd00::/8", "::1" -> a BlockList entry; a usage error otherwise. */
function addNetwork(list: net.BlockList, spec: string, flag: string): void {
  const [address = '', prefixText] = spec.trim().split('/');
  const family = net.isIP(address);
  const max = family === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (family === 0 || !Number.isInteger(prefix) || prefix < 0 || prefix > max || prefixText === '') {
    throw new UsageError(
      `${flag} "${spec}" is not an address or network: use e.g. 192.168.0.0/24, 10.1.2.3 or fd00::/8`,
    );
  }
  list.addSubnet(address, prefix, family === 4 ? 'ipv4' : 'ipv6');
}

/** A peer's address as the lists see it: IPv4-mapped IPv6 (::ffff:1.2.3.4) counts as IPv4. */
export function normalizeAddress(address: string): { address: string; type: 'ipv4' | 'ipv6' } {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return { address: mapped[1]!, type: 'ipv4' };
  return { address, type: net.isIPv6(address) ? 'ipv6' : 'ipv4' };
}

/**
 * Who may come in: allow and deny lists, a cap on connections, and a cap per address so
 * one host cannot take every slot. Checked before a connection reaches the room.
 */
export class Admission {
  private readonly allow: net.BlockList | undefined;
  private readonly deny: net.BlockList | undefined;
  private readonly perAddress = new Map<string, number>();
  private total = 0;
  private readonly maxConnections: number;
  private readonly maxPerAddress: number;

  constructor(options: AdmissionOptions = {}) {
    if (options.allow?.length) {
      this.allow = new net.BlockList();
      for (const spec of options.allow) addNetwork(this.allow, spec, '--allow');
    }
    if (options.deny?.length) {
      this.deny = new net.BlockList();
      for (const spec of options.deny) addNetwork(this.deny, spec, '--deny');
    }
    this.maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
    this.maxPerAddress = options.maxPerAddress ?? DEFAULT_MAX_PER_ADDRESS;
  }

  /** Why this address may not come in now, or undefined (and the slot is taken). */
  admit(rawAddress: string): string | undefined {
    const { address } = normalizeAddress(rawAddress);
    const unlisted = this.listRefusal(rawAddress);
    if (unlisted !== undefined) return unlisted;
    if (this.total >= this.maxConnections)
      return `the room is full (${this.maxConnections} connections); try again later`;
    const mine = this.perAddress.get(address) ?? 0;
    if (mine >= this.maxPerAddress)
      return `too many connections from ${address} (at most ${this.maxPerAddress})`;
    this.perAddress.set(address, mine + 1);
    this.total += 1;
    return undefined;
  }

  /** Why the allow and deny lists keep this address out, or undefined; takes no slot. */
  listRefusal(rawAddress: string): string | undefined {
    const { address, type } = normalizeAddress(rawAddress);
    if (this.deny?.check(address, type) || (this.allow && !this.allow.check(address, type)))
      return `${address} is not allowed in this room`;
    return undefined;
  }

  release(rawAddress: string): void {
    const { address } = normalizeAddress(rawAddress);
    const mine = this.perAddress.get(address) ?? 0;
    if (mine <= 1) this.perAddress.delete(address);
    else this.perAddress.set(address, mine - 1);
    this.total = Math.max(0, this.total - 1);
  }
}

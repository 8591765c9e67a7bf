import os from 'node:os';
import { type AddressKind, classifyAddress, prefixLengthOfNetmask } from './address-class.js';

/** One address of one network interface, as `rocket ip` shows it. */
export interface InterfaceAddress {
  /** The OS name of the interface: lo, eth0, en0, "Wi-Fi", ... */
  interface: string;
  family: 'IPv4' | 'IPv6';
  address: string;
  netmask: string;
  /** Bits in the network part: 24 for 255.255.255.0. */
  prefixLength: number;
  /** address/prefixLength, e.g. 192.168.1.20/24, the way `ip addr` writes it. */
  cidr: string;
  /** Hardware address, or null where there is none (loopback and tunnels report all zeros). */
  mac: string | null;
  /** True for addresses only this machine can use (loopback). */
  internal: boolean;
  /** IPv6 zone index: a link-local address needs it (fe80::1%eth0) to be used. */
  scopeId?: number;
  class: AddressKind;
  /** The class in plain words, e.g. "private LAN". */
  classLabel: string;
}

const NO_MAC = '00:00:00:00:00:00';

/**
 * Lists this machine's addresses, one entry per address, in the order the OS gives them.
 * Pass the result of `os.networkInterfaces()` from elsewhere to classify that instead.
 *
 * @example
 * for (const a of listInterfaces()) console.log(a.interface, a.cidr, a.classLabel);
 * // lo 127.0.0.1/8 loopback
 * // eth0 192.168.1.20/24 private LAN
 */
export function listInterfaces(
  interfaces: NodeJS.Dict<os.NetworkInterfaceInfo[]> = os.networkInterfaces(),
): InterfaceAddress[] {
  const result: InterfaceAddress[] = [];
  for (const [name, addresses] of Object.entries(interfaces)) {
    for (const info of addresses ?? []) {
      // Node 18.0-18.3 reported the family as a number; accept both spellings.
      const family = String(info.family) === '6' || info.family === 'IPv6' ? 'IPv6' : 'IPv4';
      const prefixLength = prefixLengthOf(info) ?? (family === 'IPv4' ? 32 : 128);
      const cls = classifyAddress(info.address);
      const entry: InterfaceAddress = {
        interface: name,
        family,
        address: info.address,
        netmask: info.netmask,
        prefixLength,
        cidr: `${info.address}/${prefixLength}`,
        mac: info.mac && info.mac !== NO_MAC ? info.mac : null,
        internal: info.internal,
        class: cls.kind,
        classLabel: cls.label,
      };
      if (info.family === 'IPv6' && info.scopeid !== undefined) entry.scopeId = info.scopeid;
      result.push(entry);
    }
  }
  return result;
}

function prefixLengthOf(info: os.NetworkInterfaceInfo): number | undefined {
  // `cidr` is null when the OS gave a netmask that is not ones-then-zeros.
  const fromCidr = info.cidr?.split('/')[1];
  return fromCidr !== undefined ? Number(fromCidr) : prefixLengthOfNetmask(info.netmask);
}

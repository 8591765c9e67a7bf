import { isIPv4, isIPv6 } from 'node:net';

/**
 * What kind of address this is, as a stable identifier. The human wording is in
 * `AddressClass.label`; scripts should switch on `kind`.
 */
export type AddressKind =
  | 'loopback'
  | 'private'
  | 'unique-local'
  | 'cgnat'
  | 'link-local'
  | 'site-local'
  | 'public'
  | 'multicast'
  | 'broadcast'
  | 'documentation'
  | 'benchmarking'
  | 'nat64'
  | 'unspecified'
  | 'reserved';

export interface AddressClass {
  kind: AddressKind;
  /** Plain words for people, e.g. "private LAN" or "link-local (self-assigned)". */
  label: string;
}

interface Block {
  prefix: bigint;
  length: number;
  kind: AddressKind;
  label: string;
}

/** IPv4 special-purpose blocks (RFC 6890 and the IANA registry), most specific first. */
const IPV4_BLOCKS: Block[] = [
  v4('0.0.0.0/32', 'unspecified', 'unspecified (any address)'),
  v4('0.0.0.0/8', 'reserved', '"this network" (not routable)'),
  v4('127.0.0.0/8', 'loopback', 'loopback'),
  v4('10.0.0.0/8', 'private', 'private LAN'),
  v4('172.16.0.0/12', 'private', 'private LAN'),
  v4('192.168.0.0/16', 'private', 'private LAN'),
  // RFC 6598: the ISP's side of a carrier-grade NAT; not reachable from the internet either.
  v4('100.64.0.0/10', 'cgnat', 'shared address space (carrier-grade NAT)'),
  // RFC 3927: what a machine gives itself when no DHCP server answered.
  v4('169.254.0.0/16', 'link-local', 'link-local (self-assigned)'),
  v4('192.0.2.0/24', 'documentation', 'documentation example (not routable)'),
  v4('198.51.100.0/24', 'documentation', 'documentation example (not routable)'),
  v4('203.0.113.0/24', 'documentation', 'documentation example (not routable)'),
  v4('192.0.0.0/24', 'reserved', 'IETF protocol assignments'),
  v4('198.18.0.0/15', 'benchmarking', 'benchmarking (not routable)'),
  v4('224.0.0.0/4', 'multicast', 'multicast'),
  v4('255.255.255.255/32', 'broadcast', 'broadcast'),
  v4('240.0.0.0/4', 'reserved', 'reserved (not routable)'),
];

/** IPv6 special-purpose blocks (RFC 6890, RFC 4291), most specific first. */
const IPV6_BLOCKS: Block[] = [
  v6('::/128', 'unspecified', 'unspecified (any address)'),
  v6('::1/128', 'loopback', 'loopback'),
  v6('64:ff9b::/96', 'nat64', 'NAT64 (IPv4 through a translator)'),
  v6('100::/64', 'reserved', 'discard-only (not routable)'),
  v6('2001:db8::/32', 'documentation', 'documentation example (not routable)'),
  v6('2001::/32', 'public', 'public (Teredo tunnel)'),
  v6('2002::/16', 'public', 'public (6to4 tunnel)'),
  v6('fc00::/7', 'unique-local', 'private LAN (IPv6 unique local)'),
  v6('fe80::/10', 'link-local', 'link-local'),
  v6('fec0::/10', 'site-local', 'site-local (deprecated private LAN)'),
  v6('ff00::/8', 'multicast', 'multicast'),
  v6('2000::/3', 'public', 'public'),
];

const IPV4_MAPPED = v6('::ffff:0:0/96', 'reserved', 'IPv4-mapped');

/**
 * Classifies an IPv4 or IPv6 address in plain words: loopback, private LAN, link-local,
 * public, and the rarer special blocks. An IPv4-mapped IPv6 address (::ffff:a.b.c.d, as a
 * dual-stack server sees IPv4 peers) is classified by its IPv4 part. A zone suffix
 * (fe80::1%eth0) is ignored. Throws a TypeError for text that is not an IP address.
 *
 * @example
 * classifyAddress('192.168.1.20'); // { kind: 'private', label: 'private LAN' }
 * classifyAddress('fd12:3456::1'); // { kind: 'unique-local', label: 'private LAN (IPv6 unique local)' }
 * classifyAddress('8.8.8.8').kind; // 'public'
 */
export function classifyAddress(address: string): AddressClass {
  const v4 = parseIpv4(address);
  if (v4 !== undefined) return match(v4, 32, IPV4_BLOCKS) ?? { kind: 'public', label: 'public' };
  const v6 = parseIpv6(address);
  if (v6 === undefined) throw new TypeError(`"${address}" is not an IPv4 or IPv6 address`);
  if (inBlock(v6, 128, IPV4_MAPPED)) {
    return match(v6 & 0xffffffffn, 32, IPV4_BLOCKS) ?? { kind: 'public', label: 'public' };
  }
  // Outside 2000::/3 and the blocks above, the IPv6 space is still unallocated.
  return match(v6, 128, IPV6_BLOCKS) ?? { kind: 'reserved', label: 'reserved (unallocated)' };
}

/**
 * The prefix length of a netmask; undefined for a mask that is not ones then zeros.
 *
 * @example
 * prefixLengthOfNetmask('255.255.255.0'); // 24
 * prefixLengthOfNetmask('ffff:ffff:ffff:ffff::'); // 64
 */
export function prefixLengthOfNetmask(netmask: string): number | undefined {
  const value = parseIpv4(netmask) ?? parseIpv6(netmask);
  if (value === undefined) return undefined;
  const bits = parseIpv4(netmask) !== undefined ? 32 : 128;
  const binary = value.toString(2).padStart(bits, '0');
  const length = binary.indexOf('0') === -1 ? bits : binary.indexOf('0');
  // A netmask is ones then zeros; anything else (e.g. 255.0.255.0) has no prefix length.
  return binary.slice(length).includes('1') ? undefined : length;
}

function match(value: bigint, bits: number, blocks: Block[]): AddressClass | undefined {
  const block = blocks.find((b) => inBlock(value, bits, b));
  return block && { kind: block.kind, label: block.label };
}

function inBlock(value: bigint, bits: number, block: Block): boolean {
  const shift = BigInt(bits - block.length);
  return value >> shift === block.prefix >> shift;
}

function v4(cidr: string, kind: AddressKind, label: string): Block {
  const [address, length] = cidr.split('/');
  return { prefix: parseIpv4(address!)!, length: Number(length), kind, label };
}

function v6(cidr: string, kind: AddressKind, label: string): Block {
  const [address, length] = cidr.split('/');
  return { prefix: parseIpv6(address!)!, length: Number(length), kind, label };
}

function parseIpv4(text: string): bigint | undefined {
  if (!isIPv4(text)) return undefined;
  return text.split('.').reduce((acc, octet) => (acc << 8n) | BigInt(Number(octet)), 0n);
}

/** 128-bit value of an IPv6 address; handles "::" and a trailing dotted IPv4 part. */
function parseIpv6(text: string): bigint | undefined {
  const address = text.split('%')[0]!;
  if (!isIPv6(address)) return undefined;
  let hex = address;
  const tail: number[] = [];
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(address);
  if (dotted) {
    const v4value = Number(parseIpv4(dotted[1]!)!);
    tail.push(Math.floor(v4value / 0x10000), v4value % 0x10000);
    hex = address.slice(0, -dotted[1]!.length);
    // "::ffff:1.2.3.4" leaves "::ffff:", whose last colon only separated the IPv4 part.
    if (!hex.endsWith('::')) hex = hex.slice(0, -1);
  }
  const [head = '', rest] = hex.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const restGroups = rest === undefined || rest === '' ? [] : rest.split(':');
  const zeros = 8 - tail.length - headGroups.length - restGroups.length;
  const groups = [
    ...headGroups.map((g) => Number.parseInt(g, 16)),
    ...Array<number>(rest === undefined ? 0 : zeros).fill(0),
    ...restGroups.map((g) => Number.parseInt(g, 16)),
    ...tail,
  ];
  return groups.reduce((acc, group) => (acc << 16n) | BigInt(group), 0n);
}

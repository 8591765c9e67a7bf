import { UsageError } from '../errors.js';
import { type ServiceEntry, servicesForPort } from './services.js';

export const MAX_PORT = 65535;

/** The three IANA port ranges (RFC 6335 section 6). */
export type PortClass = 'well-known' | 'registered' | 'dynamic';

export interface PortRange {
  class: PortClass;
  first: number;
  last: number;
  /** e.g. "well-known (0-1023)". */
  label: string;
}

export const PORT_RANGES: readonly PortRange[] = [
  { class: 'well-known', first: 0, last: 1023, label: 'well-known (0-1023)' },
  { class: 'registered', first: 1024, last: 49151, label: 'registered (1024-49151)' },
  { class: 'dynamic', first: 49152, last: MAX_PORT, label: 'dynamic/private (49152-65535)' },
];

/** What the registry says about a port; `checkPort` adds whether it is free here. */
export interface PortInfo {
  port: number;
  class: PortClass;
  classLabel: string;
  /** IANA services on the port, the usual name first. */
  services: { tcp: ServiceEntry[]; udp: ServiceEntry[] };
}

/**
 * True for a whole number from 0 to 65535.
 *
 * @example
 * isPort(8888); // true
 * isPort(65536); // false
 */
export function isPort(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_PORT;
}

/**
 * Which IANA range a port is in. Throws a RangeError for anything but 0-65535.
 *
 * @example
 * classifyPort(22); // 'well-known'
 * classifyPort(8888); // 'registered'
 * classifyPort(50000); // 'dynamic'
 */
export function classifyPort(port: number): PortClass {
  return rangeOf(port).class;
}

/**
 * Class and registered services of a port, without touching the network.
 * Throws a RangeError for anything but 0-65535; use `parsePortNumber` on user input.
 *
 * @example
 * const info = describePort(22);
 * info.classLabel; // 'well-known (0-1023)'
 * info.services.tcp[0].name; // 'ssh'
 */
export function describePort(port: number): PortInfo {
  const range = rangeOf(port);
  return {
    port,
    class: range.class,
    classLabel: range.label,
    services: { tcp: servicesForPort(port, 'tcp'), udp: servicesForPort(port, 'udp') },
  };
}

/**
 * Reads a port number typed by a person. Throws a UsageError (exit status 2 in the CLI)
 * with a one-line reason for text that is not a whole number from 0 to 65535.
 *
 * @example
 * parsePortNumber('8888'); // 8888
 * parsePortNumber('99999'); // throws: port 99999 is out of range: ports go from 0 to 65535
 */
export function parsePortNumber(text: string): number {
  const trimmed = text.trim();
  if (!/^\d+$/.test(trimmed)) {
    throw new UsageError(`"${text}" is not a port number: use a whole number from 0 to 65535, e.g. 8888`);
  }
  const port = Number(trimmed);
  if (port > MAX_PORT) {
    throw new UsageError(
      `port ${trimmed} is out of range: ports go from 0 to ${MAX_PORT}`,
      'ROCKET_ERR_PORT_RANGE',
    );
  }
  return port;
}

function rangeOf(port: number): PortRange {
  if (!isPort(port)) throw new RangeError(`port must be a whole number from 0 to ${MAX_PORT}, got ${port}`);
  return PORT_RANGES.find((r) => port <= r.last)!;
}

import { UsageError } from '../errors.js';
import { MAX_PORT } from './ports.js';

/**
 * Parses a port list as people write it for scanners: numbers and inclusive ranges
 * separated by commas, e.g. "22,80,8000-8100". Returns the ports sorted, each once.
 * Throws a UsageError naming the bad item for anything else (empty items, text,
 * ports above 65535, backwards ranges). Every port 0-65535 may be listed, so the
 * result never holds more than 65536 ports.
 *
 * @example
 * parsePortList('22,80,8000-8002'); // [22, 80, 8000, 8001, 8002]
 * parsePortList('443, 80, 443'); // [80, 443]
 * parsePortList('0-65535').length; // 65536
 */
export function parsePortList(spec: string): number[] {
  const hint = 'use numbers and ranges like 22,80,8000-8100';
  if (spec.trim() === '') throw new UsageError(`no ports given: ${hint}`);
  const seen = new Uint8Array(MAX_PORT + 1);
  for (const raw of spec.split(',')) {
    const item = raw.trim();
    const m = /^(\d+)(?:\s*-\s*(\d+))?$/.exec(item);
    if (!m) {
      throw new UsageError(
        item === ''
          ? `empty item in port list "${spec}": ${hint}`
          : `"${item}" in port list "${spec}" is not a port or range: ${hint}`,
      );
    }
    const first = Number(m[1]);
    const last = m[2] === undefined ? first : Number(m[2]);
    for (const port of [first, last]) {
      if (port > MAX_PORT) {
        throw new UsageError(
          `port ${port} in port list "${spec}" is out of range: ports go from 0 to ${MAX_PORT}`,
          'ROCKET_ERR_PORT_RANGE',
        );
      }
    }
    if (last < first)
      throw new UsageError(`range ${item} in port list "${spec}" is backwards: write ${last}-${first}`);
    seen.fill(1, first, last + 1);
  }
  const ports: number[] = [];
  for (let port = 0; port <= MAX_PORT; port++) if (seen[port]) ports.push(port);
  return ports;
}

/**
 * Writes ports back in the short form, runs of consecutive ports as ranges.
 *
 * @example
 * formatPortList([22, 80, 8000, 8001, 8002]); // '22,80,8000-8002'
 */
export function formatPortList(ports: readonly number[]): string {
  const sorted = [...new Set(ports)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(j === i ? String(sorted[i]) : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

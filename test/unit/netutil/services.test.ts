import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  lookupService,
  serviceNamesForPort,
  servicesForPort,
  servicesSource,
  suggestServiceNames,
} from '../../../src/netutil/services.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SCRIPT = join(ROOT, 'scripts', 'gen-services.mjs');

describe('serviceNamesForPort', () => {
  it.each([
    [21, 'ftp'],
    [22, 'ssh'],
    [25, 'smtp'],
    [80, 'http'],
    [443, 'https'],
    [3306, 'mysql'],
    [6379, 'redis'],
    [8888, 'ddi-tcp-1'],
  ])('knows tcp port %i as %s', (port, name) => {
    expect(serviceNamesForPort(port)[0]).toBe(name);
  });

  it('lists every name registered on a port, the usual one first', () => {
    expect(serviceNamesForPort(80)).toEqual(['http', 'www', 'www-http']);
  });

  it('keeps tcp and udp apart', () => {
    expect(serviceNamesForPort(8888, 'udp')).toEqual(['ddi-udp-1']);
    expect(serviceNamesForPort(514, 'udp')).toContain('syslog');
    expect(serviceNamesForPort(514, 'tcp')).not.toContain('syslog');
  });

  it('expands named ranges of the registry (x11 is 6000-6063)', () => {
    expect(serviceNamesForPort(6000)).toContain('x11');
    expect(serviceNamesForPort(6063)).toContain('x11');
    expect(serviceNamesForPort(6064)).not.toContain('x11');
  });

  it('has nothing for unregistered or reserved ports', () => {
    expect(serviceNamesForPort(0)).toEqual([]);
    expect(serviceNamesForPort(49999)).toEqual([]);
  });
});

describe('servicesForPort', () => {
  it('gives descriptions, per port where the registry varies them', () => {
    expect(servicesForPort(22)).toEqual([{ name: 'ssh', description: 'The Secure Shell (SSH) Protocol' }]);
    expect(servicesForPort(2)[0]?.name).toBe('compressnet');
    expect(servicesForPort(3)[0]).toEqual({ name: 'compressnet', description: 'Compression Process' });
  });

  it('names its source', () => {
    expect(servicesSource()).toMatch(/IANA/);
  });
});

describe('lookupService', () => {
  it('finds ports by name, ignoring case', () => {
    expect(lookupService('ssh')).toEqual({
      name: 'ssh',
      description: 'The Secure Shell (SSH) Protocol',
      tcp: [22],
      udp: [22],
    });
    expect(lookupService('REDIS')?.tcp).toEqual([6379]);
    expect(lookupService('http-alt')?.tcp).toEqual([591, 8008, 8080]);
  });

  it('understands a few everyday nicknames and says so', () => {
    expect(lookupService('rdp')).toMatchObject({ name: 'ms-wbt-server', tcp: [3389], alias: 'rdp' });
    expect(lookupService('dns')).toMatchObject({ name: 'domain', udp: [53] });
  });

  it('returns undefined for an unknown name', () => {
    expect(lookupService('no-such-service-here')).toBeUndefined();
  });

  it('returns copies the caller may change', () => {
    lookupService('ssh')!.tcp.push(1);
    expect(lookupService('ssh')?.tcp).toEqual([22]);
  });
});

describe('suggestServiceNames', () => {
  it('suggests names for typos and prefixes', () => {
    expect(suggestServiceNames('reddis')).toContain('redis');
    expect(suggestServiceNames('postgres')[0]).toBe('postgresql');
    expect(suggestServiceNames('mysq')).toContain('mysql');
  });

  it('suggests nothing for nothing', () => {
    expect(suggestServiceNames('')).toEqual([]);
    expect(suggestServiceNames('zzzzzzzzzzzzzzzzzz')).toEqual([]);
  });
});

describe('scripts/gen-services.mjs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rocket-services-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('agrees with the committed data/services.json', () => {
    const check = spawnSync(process.execPath, [SCRIPT, '--check'], { encoding: 'utf8' });
    expect(check.stderr).toBe('');
    expect(check.status).toBe(0);
  });

  it('stays small enough to ship', () => {
    expect(readFileSync(join(ROOT, 'data', 'services.json')).length).toBeLessThan(600_000);
  });

  it('reads the IANA CSV: quoted fields, several names per port, ranges, other protocols', () => {
    const csv = [
      'Service Name,Port Number,Transport Protocol,Description,Assignee,Contact,Registration Date,Modification Date,Reference,Service Code,Unauthorized Use Reported,Assignment Notes',
      'ssh,22,tcp,The Secure Shell (SSH) Protocol,,,,,[RFC4251],,,',
      'ssh,22,udp,The Secure Shell (SSH) Protocol,,,,,[RFC4251],,,',
      'ssh,22,sctp,SSH,,,,,[RFC4960],,,',
      'http,80,tcp,World Wide Web HTTP,,,,,,,,',
      'www,80,tcp,World Wide Web HTTP,,,,,,,,',
      ',225-241,,Reserved,,,,,,,,',
      'x11,6000-6002,tcp,X Window System,,,,,,,,"Known ""unauthorized"" use, on',
      'port 6003"',
      'odd,7,tcp,"Text with a comma, and ""quotes""",,,,,,,,',
      ',8,tcp,Unassigned,,,,,,,,',
    ].join('\r\n');
    const csvPath = join(dir, 'service-names-port-numbers.csv');
    const outPath = join(dir, 'services.json');
    writeFileSync(csvPath, csv);
    execFileSync(process.execPath, [SCRIPT, '--csv', csvPath, '--out', outPath], { stdio: 'pipe' });
    const data = JSON.parse(readFileSync(outPath, 'utf8'));
    expect(data.tcp).toEqual({
      '7': ['odd'],
      '22': ['ssh'],
      '80': ['http', 'www'],
      '6000': ['x11'],
      '6001': ['x11'],
      '6002': ['x11'],
    });
    expect(data.udp).toEqual({ '22': ['ssh'] });
    expect(data.descriptions.odd).toBe('Text with a comma, and "quotes"');
    expect(data.source).toMatch(/IANA .*service-names-port-numbers\.csv/);
  });

  it('refuses a CSV without the IANA columns', () => {
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, 'a,b,c\n1,2,3\n');
    const run = spawnSync(process.execPath, [SCRIPT, '--csv', bad, '--out', join(dir, 'x.json')], {
      encoding: 'utf8',
    });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/no "service name" column/);
  });
});

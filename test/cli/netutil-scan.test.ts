import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { assertCliBuilt, spawnCli } from '../helpers/spawn-cli.js';
import { closedTcpPort, type LocalServer, listenTcp } from '../unit/netutil/local-servers.js';

beforeAll(assertCliBuilt);

const opened: LocalServer[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()));
});

describe('rocket scan', () => {
  it('finds two open servers in a range of closed ports', async () => {
    const a = await listenTcp();
    const b = await listenTcp();
    opened.push(a, b);
    const closed = await closedTcpPort();
    const [low, high] = [a.port, b.port].sort((x, y) => x - y) as [number, number];
    // A small range around the first server, the second server, and a known-closed port.
    const spec = `${Math.max(1, low - 3)}-${low + 3},${high},${closed}`;
    const r = await spawnCli(['scan', '127.0.0.1', spec, '--timeout', '2']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^PORT +STATE +SERVICE$/m);
    expect(r.stdout).toMatch(new RegExp(`^${low}/tcp +open `, 'm'));
    expect(r.stdout).toMatch(new RegExp(`^${high}/tcp +open `, 'm'));
    expect(r.stdout).not.toMatch(new RegExp(`^${closed}/tcp`, 'm'));
    expect(r.stdout).toMatch(/ports of 127\.0\.0\.1 scanned in [\d.]+ s: \d+ open, \d+ closed, 0 filtered$/m);
  });

  it('lists every port with --all and gives JSON', async () => {
    const server = await listenTcp();
    opened.push(server);
    const closed = await closedTcpPort();
    const r = await spawnCli(['scan', '127.0.0.1', `${server.port},${closed}`, '--all', '--json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({
      host: '127.0.0.1',
      protocol: 'tcp',
      scanned: 2,
      open: 1,
      closed: 1,
      filtered: 0,
    });
    expect(report.results).toEqual(
      [
        { port: server.port, state: 'open', services: expect.any(Array) },
        { port: closed, state: 'closed', services: expect.any(Array) },
      ].sort((x, y) => x.port - y.port),
    );
  });

  it('says so when nothing is open', async () => {
    const closed = await closedTcpPort();
    const r = await spawnCli(['scan', '127.0.0.1', String(closed)]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^No open ports\.$/m);
    expect(r.stdout).toContain('1 port of 127.0.0.1 scanned');
  });

  it.each([
    ['8100-8000', /range 8100-8000 .* is backwards/],
    ['22,abc', /"abc" in port list "22,abc" is not a port or range/],
    ['70000', /port 70000 .* out of range/],
  ])('rejects the port list %j in one line with exit 2', async (spec, message) => {
    const r = await spawnCli(['scan', '127.0.0.1', spec]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
  });

  it('rejects bad option values with exit 2', async () => {
    expect((await spawnCli(['scan', '127.0.0.1', '80', '--concurrency', '0'])).code).toBe(2);
    expect((await spawnCli(['scan', '127.0.0.1', '80', '--concurrency', '5000'])).code).toBe(2);
    expect((await spawnCli(['scan', '127.0.0.1', '80', '--timeout', 'soon'])).code).toBe(2);
  });

  it('rejects an unknown host with exit 1', async () => {
    const r = await spawnCli(['scan', 'no-such-host.invalid', '80']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^rocket: Cannot resolve host "no-such-host\.invalid"/);
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { scanPorts } from '../../../src/netutil/scan.js';
import { closedTcpPort, type LocalServer, listenTcp } from './local-servers.js';

const opened: LocalServer[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()));
});

describe('scanPorts', () => {
  it('finds the open ports among closed ones, sorted, with service names', async () => {
    const a = await listenTcp();
    const b = await listenTcp();
    opened.push(a, b);
    const closed = [await closedTcpPort(), await closedTcpPort()];
    const seen: number[] = [];
    const results = await scanPorts('127.0.0.1', [b.port, ...closed, a.port], {
      timeoutMs: 2000,
      concurrency: 2,
      onResult: (r) => seen.push(r.port),
    });
    expect(results.map((r) => r.port)).toEqual([a.port, b.port, ...closed].sort((x, y) => x - y));
    expect(results.filter((r) => r.state === 'open').map((r) => r.port)).toEqual(
      [a.port, b.port].sort((x, y) => x - y),
    );
    expect(results.filter((r) => closed.includes(r.port)).every((r) => r.state === 'closed')).toBe(true);
    expect(seen.sort()).toEqual(results.map((r) => r.port).sort());
  });

  it('scans a range with more ports than workers', async () => {
    const server = await listenTcp();
    opened.push(server);
    const ports = Array.from({ length: 41 }, (_, i) => server.port - 20 + i).filter(
      (p) => p > 0 && p <= 65535,
    );
    const results = await scanPorts('127.0.0.1', ports, { timeoutMs: 2000, concurrency: 8 });
    expect(results).toHaveLength(ports.length);
    expect(results.find((r) => r.port === server.port)?.state).toBe('open');
    expect(results.every((r) => ['open', 'closed', 'filtered'].includes(r.state))).toBe(true);
  });

  it('names the IANA service of a port', async () => {
    const [result] = await scanPorts('127.0.0.1', [await closedTcpPort()], { timeoutMs: 2000 });
    expect(Array.isArray(result?.services)).toBe(true);
  });

  it('returns nothing for no ports, and rejects bad options', async () => {
    expect(await scanPorts('127.0.0.1', [])).toEqual([]);
    await expect(scanPorts('127.0.0.1', [70000])).rejects.toThrow(RangeError);
    await expect(scanPorts('127.0.0.1', [80], { concurrency: 0 })).rejects.toThrow(RangeError);
  });

  it('rejects an unknown host before probing', async () => {
    await expect(scanPorts('no-such-host.invalid', [80])).rejects.toMatchObject({
      code: 'ROCKET_ERR_UNKNOWN_HOST',
    });
  });

  it('stops when aborted', async () => {
    const controller = new AbortController();
    controller.abort(new Error('enough'));
    await expect(scanPorts('127.0.0.1', [1, 2, 3], { signal: controller.signal })).rejects.toThrow('enough');
  });
});

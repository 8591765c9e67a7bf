import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { type PingProbe, pingHost } from '../../../src/netutil/ping.js';
import { summarizePings } from '../../../src/netutil/ping-stats.js';
import { probeTcp } from '../../../src/netutil/tcp-probe.js';
import { UdpPinger } from '../../../src/netutil/udp-pinger.js';
import { decodeDatagram, encodeDatagram } from '../../../src/protocol/udp-wire.js';
import {
  closedTcpPort,
  closedUdpPort,
  type LocalServer,
  listenTcp,
  silentUdp,
  udpPingResponder,
} from './local-servers.js';

const opened: LocalServer[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()));
});
async function track<T extends LocalServer>(server: Promise<T>): Promise<T> {
  const s = await server;
  opened.push(s);
  return s;
}

async function collect(probes: AsyncIterable<PingProbe>): Promise<PingProbe[]> {
  const all: PingProbe[] = [];
  for await (const p of probes) all.push(p);
  return all;
}

describe('probeTcp', () => {
  it('times a completed handshake as open', async () => {
    const server = await track(listenTcp());
    const result = await probeTcp('127.0.0.1', server.port, { timeoutMs: 2000 });
    expect(result.state).toBe('open');
    expect(result.timeMs).toBeGreaterThan(0);
  });

  it('reports a refused connection as closed, with a time: the host answered', async () => {
    const result = await probeTcp('127.0.0.1', await closedTcpPort(), { timeoutMs: 2000 });
    expect(result.state).toBe('closed');
    expect(result.timeMs).toBeGreaterThan(0);
  });

  it('rejects with the reason when aborted', async () => {
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    await expect(probeTcp('127.0.0.1', 1, { timeoutMs: 1000, signal: controller.signal })).rejects.toThrow(
      'stop',
    );
  });
});

describe('pingHost over TCP', () => {
  it('gets an answer to every probe from a listening server', async () => {
    const server = await track(listenTcp());
    const probes = await collect(pingHost({ host: '127.0.0.1', port: server.port, count: 3, intervalMs: 0 }));
    expect(probes.map((p) => [p.seq, p.state])).toEqual([
      [1, 'open'],
      [2, 'open'],
      [3, 'open'],
    ]);
    expect(probes[0]).toMatchObject({
      host: '127.0.0.1',
      address: '127.0.0.1',
      port: server.port,
      protocol: 'tcp',
    });
    expect(summarizePings(probes)).toMatchObject({ sent: 3, received: 3, lossPercent: 0 });
  });

  it('says closed for a port nobody listens on', async () => {
    const port = await closedTcpPort();
    const probes = await collect(pingHost({ host: '127.0.0.1', port, count: 2, intervalMs: 0 }));
    expect(probes.map((p) => p.state)).toEqual(['closed', 'closed']);
    expect(summarizePings(probes)).toMatchObject({ received: 2, open: 0, closed: 2, lossPercent: 0 });
  });

  it('resolves a name once and reports both name and address', async () => {
    const server = await track(listenTcp());
    const [probe] = await collect(pingHost({ host: 'localhost', port: server.port, count: 1, family: 4 }));
    expect(probe).toMatchObject({ host: 'localhost', address: '127.0.0.1', state: 'open' });
  });

  it('stops between probes when aborted, without an error', async () => {
    const server = await track(listenTcp());
    const controller = new AbortController();
    const probes: PingProbe[] = [];
    for await (const probe of pingHost({
      host: '127.0.0.1',
      port: server.port,
      count: Number.POSITIVE_INFINITY,
      intervalMs: 60_000,
      signal: controller.signal,
    })) {
      probes.push(probe);
      controller.abort();
    }
    expect(probes).toHaveLength(1);
  });

  it('rejects an unknown host with ROCKET_ERR_UNKNOWN_HOST', async () => {
    await expect(collect(pingHost({ host: 'no-such-host.invalid', count: 1 }))).rejects.toMatchObject({
      code: 'ROCKET_ERR_UNKNOWN_HOST',
      exitCode: 1,
    });
  });

  it('rejects nonsense options with a RangeError', async () => {
    await expect(collect(pingHost({ host: '127.0.0.1', count: 0 }))).rejects.toThrow(RangeError);
    await expect(collect(pingHost({ host: '127.0.0.1', timeoutMs: 0 }))).rejects.toThrow(RangeError);
  });
});

describe('pingHost over UDP', () => {
  it('gets a pong for every ping from a rocket-style responder', async () => {
    const responder = await track(udpPingResponder());
    const probes = await collect(
      pingHost({ host: '127.0.0.1', port: responder.port, protocol: 'udp', count: 3, intervalMs: 0 }),
    );
    expect(probes.map((p) => p.state)).toEqual(['open', 'open', 'open']);
    expect(probes.every((p) => p.protocol === 'udp' && p.timeMs! > 0)).toBe(true);
    expect(responder.pings()).toBe(3);
  });

  it('times out against a UDP socket that never answers', async () => {
    const silent = await track(silentUdp());
    const started = performance.now();
    const probes = await collect(
      pingHost({
        host: '127.0.0.1',
        port: silent.port,
        protocol: 'udp',
        count: 2,
        intervalMs: 0,
        timeoutMs: 150,
      }),
    );
    expect(probes.map((p) => p.state)).toEqual(['timeout', 'timeout']);
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    expect(silent.received()).toBe(2);
    expect(summarizePings(probes).lossPercent).toBe(100);
  });

  // Linux reports the ICMP port-unreachable on a connected UDP socket; not every OS does.
  it.skipIf(process.platform !== 'linux')(
    'says closed when the port sends back ICMP port unreachable',
    async () => {
      const port = await closedUdpPort();
      const probes = await collect(
        pingHost({ host: '127.0.0.1', port, protocol: 'udp', count: 2, intervalMs: 0 }),
      );
      expect(probes.map((p) => p.state)).toEqual(['closed', 'closed']);
    },
  );

  /** A UDP peer that answers every ping with `answers(ping)`; returns its port. */
  async function answeringPeer(answers: (ping: Record<string, unknown>) => (Buffer | string)[]) {
    const peer = dgram.createSocket('udp4');
    peer.on('message', (datagram, rinfo) => {
      const ping = decodeDatagram(datagram);
      if (ping?.type !== 'ping') return;
      for (const answer of answers(ping)) peer.send(answer, rinfo.port, rinfo.address);
    });
    await new Promise<void>((resolve) => peer.bind(0, '127.0.0.1', resolve));
    return {
      port: peer.address().port,
      close: () => new Promise<void>((resolve) => peer.close(() => resolve())),
    };
  }

  it('ignores a pong for another seq (a late answer to an earlier probe)', async () => {
    const peer = await answeringPeer((ping) => [
      encodeDatagram({ type: 'pong', seq: Number(ping.seq) + 100, ts: ping.ts }),
    ]);
    const pinger = await UdpPinger.open('127.0.0.1', peer.port);
    try {
      expect((await pinger.probe(1, { timeoutMs: 200 })).state).toBe('timeout');
    } finally {
      await pinger.close();
      await peer.close();
    }
  });

  it('takes any other answer (text, its own ping back) as a listener that is not a rocket', async () => {
    for (const answer of [
      (): string => 'hello\n',
      (ping: Record<string, unknown>) => encodeDatagram({ type: 'ping', seq: ping.seq, ts: ping.ts }),
    ]) {
      const peer = await answeringPeer((ping) => [answer(ping)]);
      const pinger = await UdpPinger.open('127.0.0.1', peer.port);
      try {
        const result = await pinger.probe(1, { timeoutMs: 2000 });
        expect(result).toMatchObject({ state: 'open', foreign: true });
        expect(result.timeMs).toBeGreaterThan(0);
      } finally {
        await pinger.close();
        await peer.close();
      }
    }
  });
});

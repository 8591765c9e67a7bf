import dgram from 'node:dgram';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { assertCliBuilt, spawnCli, startCli, stopAllClis } from '../helpers/spawn-cli.js';
import {
  closedTcpPort,
  type LocalServer,
  listenTcp,
  silentUdp,
  udpPingResponder,
} from '../unit/netutil/local-servers.js';

beforeAll(assertCliBuilt);

const opened: LocalServer[] = [];
afterEach(async () => {
  await stopAllClis();
  await Promise.all(opened.splice(0).map((s) => s.close()));
});
async function track<T extends LocalServer>(server: Promise<T>): Promise<T> {
  const s = await server;
  opened.push(s);
  return s;
}

describe('rocket ping (tcp)', () => {
  it('connects to a listening server on every probe and exits 0', async () => {
    const server = await track(listenTcp());
    const r = await spawnCli(['ping', '127.0.0.1', String(server.port), '-c', '3', '-i', '0']);
    expect(r.code).toBe(0);
    const probeLines = r.stdout.split('\n').filter((l) => l.startsWith('connected to'));
    expect(probeLines).toHaveLength(3);
    expect(probeLines[0]).toMatch(
      new RegExp(`^connected to 127\\.0\\.0\\.1:${server.port} \\(tcp\\): seq=1 time=\\d+\\.\\d+ ms$`),
    );
    expect(r.stdout).toMatch(/^PING 127\.0\.0\.1 port \d+ \(tcp\)$/m);
    expect(r.stdout).toContain('3 probes sent, 3 answered (3 connected), 0% loss');
    expect(r.stdout).toMatch(/^rtt min\/avg\/max\/mdev = [\d.]+\/[\d.]+\/[\d.]+\/[\d.]+ ms$/m);
    expect(r.stderr).toBe('');
  });

  it('takes HOST:PORT and [IPv6]:PORT as connect does', async () => {
    const server = await track(listenTcp());
    const r = await spawnCli(['ping', `127.0.0.1:${server.port}`, '-c', '1']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      new RegExp(`^connected to 127\\.0\\.0\\.1:${server.port} \\(tcp\\): seq=1 `, 'm'),
    );
    const v6 = await spawnCli(['ping', `[::1]:${await closedTcpPort()}`, '-c', '1']);
    expect(v6.stdout).toMatch(/^\[::1\]:\d+ \(tcp\): seq=1 host is up, port closed/m);
  });

  it('says host up, port closed for a closed port, and exits 1', async () => {
    const port = await closedTcpPort();
    const r = await spawnCli(['ping', '127.0.0.1', String(port), '-c', '2', '-i', '0']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/seq=1 host is up, port closed \(connection refused\) time=/);
    expect(r.stdout).toContain('2 probes sent, 2 answered (0 connected, 2 port closed), 0% loss');
    expect(r.stderr).toBe(`rocket: host is up, but nothing listens on 127.0.0.1:${port} (tcp)\n`);
  });

  it('prints one JSON object per probe and a summary', async () => {
    const server = await track(listenTcp());
    const r = await spawnCli([
      'ping',
      'localhost',
      String(server.port),
      '-4',
      '-c',
      '2',
      '-i',
      '0',
      '--json',
    ]);
    expect(r.code).toBe(0);
    const objects = r.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(objects).toHaveLength(3);
    expect(objects[0]).toMatchObject({
      type: 'probe',
      seq: 1,
      host: 'localhost',
      address: '127.0.0.1',
      port: server.port,
      protocol: 'tcp',
      state: 'open',
      timeMs: expect.any(Number),
    });
    expect(objects[2]).toMatchObject({ type: 'summary', sent: 2, received: 2, open: 2, lossPercent: 0 });
  });

  it('stops on Ctrl-C and still prints the summary', async () => {
    const server = await track(listenTcp());
    const cli = startCli(['ping', '127.0.0.1', String(server.port), '-c', '0', '-i', '0.05']);
    await cli.waitForStdout(/seq=2 /);
    const r = await cli.stop('SIGINT');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/--- 127\.0\.0\.1 port \d+ \(tcp\) ping statistics ---/);
    expect(r.stdout).toMatch(/\d+ probes sent, \d+ answered \(\d+ connected\), 0% loss/);
  });

  it('rejects an unknown host in one line with exit 1', async () => {
    const r = await spawnCli(['ping', 'no-such-host.invalid', '-c', '1']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^rocket: Cannot resolve host "no-such-host\.invalid": [^\n]+\n$/);
  });

  it.each([[['-c', 'abc']], [['--timeout', '0']], [['-i', '-1']]])(
    'rejects bad option values %j with exit 2 before probing',
    async (options) => {
      const r = await spawnCli(['ping', '127.0.0.1', '1', ...options]);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      // One line naming the option as typed in full, then what is wrong with the value.
      expect(r.stderr).toMatch(/^rocket: --(count|timeout|interval): [^\n]+\n$/);
    },
  );

  it('rejects a port out of range with exit 2', async () => {
    const r = await spawnCli(['ping', '127.0.0.1', '70000']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/out of range/);
  });
});

describe('rocket ping --udp', () => {
  it('gets pongs from a rocket-style UDP responder', async () => {
    const responder = await track(udpPingResponder());
    const r = await spawnCli(['ping', '127.0.0.1', String(responder.port), '--udp', '-c', '2', '-i', '0']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      new RegExp(`^reply from 127\\.0\\.0\\.1:${responder.port} \\(udp\\): seq=1 time=`, 'm'),
    );
    expect(r.stdout).toContain('2 probes sent, 2 answered (2 replied), 0% loss');
    expect(responder.pings()).toBe(2);
  });

  it('says that a UDP service answering something else (an echo server) is not a rocket room', async () => {
    // An echo service, like the tutorial's UDP server: it sends every datagram back.
    const echo = dgram.createSocket('udp4');
    echo.on('message', (datagram, peer) => echo.send(datagram, peer.port, peer.address));
    await new Promise<void>((resolve) => echo.bind(0, '127.0.0.1', resolve));
    opened.push({ port: echo.address().port, close: () => new Promise<void>((r) => echo.close(() => r())) });
    const r = await spawnCli(['ping', '127.0.0.1', String(echo.address().port), '--udp', '-c', '1']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      new RegExp(
        `^reply from 127\\.0\\.0\\.1:${echo.address().port} \\(udp\\): seq=1, not from a rocket room \\(no pong\\) time=`,
        'm',
      ),
    );
  });

  it('times out against a UDP socket that never answers, and exits 1', async () => {
    const silent = await track(silentUdp());
    const r = await spawnCli([
      'ping',
      '127.0.0.1',
      String(silent.port),
      '--udp',
      '-c',
      '2',
      '-i',
      '0',
      '--timeout',
      '0.2',
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/seq=1 no answer within 0\.2 s \(timeout\)/);
    expect(r.stdout).toContain('2 probes sent, 0 answered (0 replied), 100% loss');
    expect(r.stdout).not.toContain('rtt');
    expect(r.stderr).toMatch(
      /^rocket: no answer from 127\.0\.0\.1:\d+ \(udp\); only a rocket UDP listener answers pings\n$/,
    );
  });
});

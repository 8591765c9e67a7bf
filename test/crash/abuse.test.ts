import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { LineClient } from '../helpers/line-client.js';
import { type RunningCli, startCli, stopAllClis } from '../helpers/spawn-cli.js';

/** What the room may hold while under attack; it starts at about 60 MB. */
const RSS_BOUND_MB = 200;

afterEach(() => stopAllClis());

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

async function startRoom(args: string[] = []): Promise<{ cli: RunningCli; port: number }> {
  const cli = startCli(['listen', '0', '--host', '127.0.0.1', '--no-store', ...args]);
  const match = await cli.waitForStderr(/Listening on \S+ (\d+)/, 10_000);
  return { cli, port: Number(match[1]) };
}

async function member(port: number, nick: string): Promise<LineClient> {
  const client = await LineClient.connect(port);
  client.send(`/nick ${nick}\n`);
  await client.waitForLine(new RegExp(`is now known as ${nick}$`));
  return client;
}

/** A connection that reads everything and keeps none of it. */
function discardingSocket(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1' }, () => resolve(socket));
    socket.on('error', reject); // after the connect, a reset is only the end of the flood
    socket.resume();
  });
}

/** The room still carries a message between two well-behaved members. */
async function stillServes(port: number, tag: string): Promise<void> {
  const a = await member(port, `a${tag}`);
  const b = await member(port, `b${tag}`);
  a.send(`are you there ${tag}\n`);
  await b.waitForLine(new RegExp(`<a${tag}> are you there ${tag}$`));
  a.destroy();
  b.destroy();
}

describe.skipIf(process.platform !== 'linux')('a room under attack (real process)', () => {
  it('refuses a 100 MB line without a newline, with a reason, and its memory stays flat', async () => {
    const { cli, port } = await startRoom();
    const pid = cli.child.pid!;
    const attacker = await LineClient.connect(port);
    const chunk = Buffer.alloc(1024 * 1024, 'x');
    let sent = 0;
    const deadline = Date.now() + 20_000;
    // Bounded: 100 MB or 20 s, whichever comes first (the room slows the sender down).
    while (sent < 100 && !attacker.closed && Date.now() < deadline) {
      if (!attacker.socket.write(chunk)) {
        await new Promise<void>((resolve) => {
          const done = (): void => {
            attacker.socket.off('drain', done).off('close', done);
            clearTimeout(timer);
            resolve();
          };
          const timer = setTimeout(done, 1000);
          attacker.socket.on('drain', done).on('close', done);
        });
      }
      sent += 1;
    }
    await attacker.waitForLine(/message not sent: it passed \d+ characters before its end/);
    expect(rssMb(pid)).toBeLessThan(RSS_BOUND_MB);
    attacker.destroy();
    await stillServes(port, 'line');
  }, 40_000);

  it('disconnects a client that floods lines of 200 bytes for 10 s, as it does one of short lines', async () => {
    // A 64 KiB chunk of such lines is 3 s of them at 100 a second: the flood count must run
    // on across chunks (it started again with each one, so the flood was never cut off).
    const { port } = await startRoom();
    const flooder = await LineClient.connect(port);
    const lines = Buffer.from(`${'x'.repeat(199)}\n`.repeat(200));
    const started = Date.now();
    // Bounded: 30 s at most; the room should hang up after about 10.
    while (
      !flooder.closed &&
      Date.now() - started < 30_000 &&
      !flooder.lines.some((l) => /flooding/.test(l))
    ) {
      if (!flooder.socket.write(lines))
        await new Promise<void>((resolve) => {
          const done = (): void => {
            clearTimeout(timer);
            flooder.socket.off('drain', done).off('close', done).off('lines', done);
            resolve();
          };
          const timer = setTimeout(done, 1000); // the deadline is checked at least once a second
          flooder.socket.on('drain', done).on('close', done).on('lines', done);
        });
    }
    await flooder.waitForLine(/disconnected for flooding/, 1000);
    flooder.destroy();
    await stillServes(port, 'long');
  }, 40_000);

  it('survives random bytes on its TCP and UDP ports', async () => {
    const tcp = await startRoom();
    const garbage = Array.from({ length: 20 }, () =>
      Buffer.from(Array.from({ length: 64 * 1024 }, () => Math.floor(Math.random() * 256))),
    );
    await Promise.all(
      garbage.map(
        (bytes) =>
          new Promise<void>((resolve) => {
            const socket = net.connect(tcp.port, '127.0.0.1', () => socket.end(bytes));
            socket.on('error', () => resolve());
            socket.on('close', () => resolve());
            socket.resume();
          }),
      ),
    );
    await stillServes(tcp.port, 'tcp');

    const udp = await startRoom(['--udp']);
    const socket = dgram.createSocket('udp4');
    for (let i = 0; i < 500; i++) {
      const size = 1 + Math.floor(Math.random() * 1400);
      const bytes = Buffer.from(Array.from({ length: size }, () => Math.floor(Math.random() * 256)));
      if (i % 5 === 0) bytes.write('RKT1', 0, 'latin1'); // garbage after the rocket magic too
      await new Promise<void>((resolve) => socket.send(bytes, udp.port, '127.0.0.1', () => resolve()));
    }
    socket.close();
    // The UDP room still answers a ping from a newcomer after all that.
    const pinger = dgram.createSocket('udp4');
    const pong = await new Promise<string>((resolve) => {
      pinger.once('message', (m) => resolve(m.toString('latin1')));
      pinger.send(Buffer.from('RKT1{"type":"ping","seq":1,"ts":1}', 'latin1'), udp.port, '127.0.0.1');
    });
    pinger.close();
    expect(pong).toContain('"type":"pong"');
    expect(rssMb(udp.cli.child.pid!)).toBeLessThan(RSS_BOUND_MB);
  }, 30_000);

  it('holds a flood from 200 clients, keeps its memory bounded, and serves the others', async () => {
    const { cli, port } = await startRoom(['--rate', '20']);
    // The flooders read what the room sends them and throw it away: parsing it (the fan-out
    // of their own flood, 800,000 lines a second) made this test process the bottleneck.
    const clients = await Promise.all(Array.from({ length: 200 }, () => discardingSocket(port)));
    const payload = Buffer.from('flood flood flood flood flood flood\n'.repeat(50));
    // Bounded: 200 clients x 40 writes x 50 lines = 400,000 lines at most.
    for (let round = 0; round < 40; round++) {
      for (const c of clients) if (!c.destroyed) c.write(payload);
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(rssMb(cli.child.pid!)).toBeLessThan(RSS_BOUND_MB);
    for (const c of clients) c.destroy();
    await stillServes(port, 'flood');
    expect(rssMb(cli.child.pid!)).toBeLessThan(RSS_BOUND_MB);
  }, 60_000);
});

/**
 * Workload 4, UDP room: one sender and one receiver, both plain UDP peers in their own
 * processes, talking through a relay on 127.0.0.1: a rocket UDP room (`rocket listen --udp`,
 * where both peers are members) or socat relaying datagrams from one port to the receiver
 * (`socat -u UDP-RECV:P UDP-SENDTO:127.0.0.1:R`). For 100- and 1,200-byte messages, COUNT
 * datagrams are sent at a fixed offered rate and then as fast as the sender can; delivered
 * messages per second, loss and corrupt messages are counted at the receiver (one message a
 * datagram from socat; rocket packs the lines of one moment into one datagram to a plain peer).
 */
import { fork } from 'node:child_process';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { collect, cpuSeconds, freePort, pinned, pinProcess, start, stop } from '../lib/proc.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));

function peer() {
  const child = fork(path.join(here, 'udp-peer.mjs'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const waiters = [];
  child.on('message', (msg) => {
    const i = waiters.findIndex((w) => w.ev === msg.ev);
    if (i >= 0) waiters.splice(i, 1)[0].resolve(msg);
  });
  return {
    child,
    ask(cmd, ev, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const waiter = { ev, resolve };
        waiters.push(waiter);
        setTimeout(() => {
          const i = waiters.indexOf(waiter);
          if (i >= 0) {
            waiters.splice(i, 1);
            reject(new Error(`udp peer: no ${ev} within ${timeoutMs} ms`));
          }
        }, timeoutMs).unref();
        child.send(cmd);
      });
    },
  };
}

function isUdpBound(port) {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  return import('node:fs').then(({ readFileSync }) =>
    readFileSync('/proc/net/udp', 'utf8')
      .split('\n')
      .some((line) => line.trim().split(/\s+/)[1]?.endsWith(hex)),
  );
}

/**
 * cpus: [peers, relay] when pinned (see cpuPlan): the relay, the thing measured, has a core of
 * its own, as a server would; the sender and the receiver share the other.
 */
export async function udpRun({ relay, rocket, size, count, rate, cpus, log }) {
  const [peerCpu, relayCpu] = cpus ?? [];
  const receiver = peer();
  const sender = peer();
  for (const p of [receiver, sender]) pinProcess(peerCpu, p.child.pid);
  const result = { relay, size, count, rate, ok: false };
  let proc;
  try {
    const recvPort = (await receiver.ask({ cmd: 'bind' }, 'bound')).port;
    await sender.ask({ cmd: 'bind' }, 'bound');
    const port = await freePort();
    const argv =
      relay === 'rocket'
        ? // --rate: the room's per-peer message limit (100/s) is a policy for the internet.
          [
            ...rocket,
            'listen',
            String(port),
            '--udp',
            '--host',
            '127.0.0.1',
            '--rate',
            '1000000',
            '--rate-bytes',
            '1000000000',
            '--no-store',
          ]
        : ['socat', '-u', `UDP-RECV:${port},bind=127.0.0.1`, `UDP-SENDTO:127.0.0.1:${recvPort}`];
    const [command, ...args] = pinned(relayCpu, argv);
    proc = start(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    const stderr = collect(proc.stderr);
    for (let i = 0; i < 500 && !(await isUdpBound(port)); i++) await sleep(10);
    if (relay === 'rocket') {
      // Both peers join the room with a first datagram; rocket holds a new peer's first words 250 ms.
      await receiver.ask({ cmd: 'hello', host: '127.0.0.1', port }, 'hello');
      await sender.ask({ cmd: 'hello', host: '127.0.0.1', port }, 'hello');
      await sleep(500);
    }
    await receiver.ask({ cmd: 'expect', count, size }, 'expect');
    const cpu0 = cpuSeconds(proc.pid);
    const sent = await sender.ask(
      { cmd: 'send', host: '127.0.0.1', port, count, size, rate },
      'sent',
      120_000,
    );
    let stats;
    let last = -1;
    for (let i = 0; i < 100; i++) {
      await sleep(100);
      stats = await receiver.ask({ cmd: 'stats' }, 'stats');
      if (stats.received === last || stats.valid === count) break;
      last = stats.received;
    }
    const seconds = Math.max((stats.lastUs - sent.startedUs) / 1e6, 1e-3);
    Object.assign(result, {
      ok: true,
      sent: sent.sent,
      sendSeconds: (sent.endedUs - sent.startedUs) / 1e6,
      offeredPerSecond: sent.sent / ((sent.endedUs - sent.startedUs) / 1e6),
      delivered: stats.valid,
      deliveredPerSecond: stats.valid / seconds,
      lossPercent: (100 * (count - stats.valid)) / count,
      corrupt: stats.corrupt,
      duplicate: stats.duplicate,
      relayCpuSeconds: cpuSeconds(proc.pid) - cpu0,
      stderr: stderr.text.slice(0, 300),
    });
    log(
      `  udp ${relay.padEnd(6)} ${String(size).padStart(4)} B ${rate > 0 ? `${rate}/s` : 'max'}: offered ${Math.round(result.offeredPerSecond)}/s, delivered ${Math.round(result.deliveredPerSecond)}/s, loss ${result.lossPercent.toFixed(2)}%, corrupt ${result.corrupt}`,
    );
  } catch (err) {
    result.error = err.message;
    log(`  udp ${relay} ${size} B: FAILED ${err.message}`);
  } finally {
    for (const p of [receiver, sender]) p.child.kill('SIGKILL');
    if (proc) await stop(proc);
  }
  return result;
}

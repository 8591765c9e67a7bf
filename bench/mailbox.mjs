#!/usr/bin/env node
// Letters benchmark (the u-store): durable letters stored per second through a real
// `rocket listen` process with its SQLite store, and how fast a backlog is handed over at
// login. Loopback only; bounded by LETTERS (default 100,000) and a 120 s deadline.
// Usage: npm run build && node bench/mailbox.mjs [--letters N] [--senders N] [--window N]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectChat } from '../dist/client/chat-client.js';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : Number(process.argv[i + 1]);
};
const LETTERS = arg('letters', 100_000);
const SENDERS = arg('senders', 4);
const WINDOW = arg('window', 500);
const DEADLINE = Date.now() + 120_000;

const dataDir = mkdtempSync(join(tmpdir(), 'rocket-bench-mail-'));
const server = spawn(
  process.execPath,
  ['dist/cli/main.js', 'listen', '0', '--host', '127.0.0.1', '--data-dir', dataDir],
  {
    stdio: ['pipe', 'ignore', 'pipe'],
  },
);
const port = await new Promise((resolve, reject) => {
  let err = '';
  server.stderr.on('data', (d) => {
    err += d;
    const m = /Listening on \S+ (\d+)/.exec(err);
    if (m) resolve(Number(m[1]));
  });
  server.on('exit', () => reject(new Error(`server exited: ${err}`)));
});

try {
  const george = await connectChat({ host: '127.0.0.1', port, nick: 'george', password: 'bench-secret' });
  await george.loggedIn();
  george.quit();
  await george.closed;

  // 1. Durable letters per second: every one confirmed only after its commit.
  const perSender = Math.ceil(LETTERS / SENDERS);
  const started = process.hrtime.bigint();
  let confirmed = 0;
  await Promise.all(
    Array.from({ length: SENDERS }, async (_, s) => {
      const client = await connectChat({ host: '127.0.0.1', port, nick: `sender${s}` });
      const inFlight = new Set();
      for (let i = 0; i < perSender && Date.now() < DEADLINE; i++) {
        const p = client.sendLetter('george', `letter ${s}-${i} ${'x'.repeat(60)}`).then(() => {
          confirmed += 1;
          inFlight.delete(p);
        });
        inFlight.add(p);
        if (inFlight.size >= WINDOW) await Promise.race(inFlight);
      }
      await Promise.all(inFlight);
      client.quit();
    }),
  );
  const storeSeconds = Number(process.hrtime.bigint() - started) / 1e9;

  // 2. The backlog handed over at login, acknowledged by the client as it reads.
  const loginStart = process.hrtime.bigint();
  const reader = await connectChat({ host: '127.0.0.1', port, nick: 'george', password: 'bench-secret' });
  let received = 0;
  const end = new Promise((resolve) =>
    reader.on('event', (e) => {
      if (e.type === 'message') received += 1;
      else if (e.type === 'inbox-end') resolve(e.count);
    }),
  );
  const count = await end;
  const deliverSeconds = Number(process.hrtime.bigint() - loginStart) / 1e9;
  reader.quit();

  const result = {
    machine: `${cpus().length} x ${cpus()[0]?.model}`,
    node: process.version,
    letters: confirmed,
    senders: SENDERS,
    window: WINDOW,
    storedPerSecond: Math.round(confirmed / storeSeconds),
    storeSeconds: Number(storeSeconds.toFixed(2)),
    backlog: count,
    received,
    deliverSeconds: Number(deliverSeconds.toFixed(2)),
    deliveredPerSecond: Math.round(received / deliverSeconds),
  };
  console.log(JSON.stringify(result, null, 2));
} finally {
  server.kill('SIGTERM');
  await new Promise((resolve) => server.once('exit', resolve));
  rmSync(dataDir, { recursive: true, force: true });
}

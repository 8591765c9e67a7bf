/**
 * A load-generator process for the room workloads (forked by room.mjs): it holds a share of
 * the plain TCP clients of a room, counts and checks every line they receive, and, in the
 * sender process, writes the test lines. Talks to its parent over IPC only in small summaries.
 *
 * A test line is  ~R|<sender>|<seq>|<sent at, µs>|<payload>|<check>  and the room prefixes it
 * with the sender's name ("<guest-3> " for rocket, "<user5> " for ncat). The payload is one of
 * 64 fixed strings picked by sender and seq, and the check digits cover the numbers, so a line
 * that was cut, merged or altered fails the check and counts as corrupt. Lines without the
 * marker (greetings, joins, leaves) count as control lines.
 */
import net from 'node:net';
import { bucketOf, newHistogram } from '../lib/stats.mjs';

const MARK = '~R|';
const PAYLOADS = Array.from({ length: 64 }, (_, i) =>
  `the quick brown fox ${i.toString(36)} jumps over the lazy dog ${(i * 7919).toString(36)}`.slice(
    0,
    40 + (i % 17),
  ),
);

function checkOf(sid, seq, t) {
  return ((sid * 131 + seq * 7919 + (t % 1000003)) % 1000003).toString(36);
}

export function makeLine(sid, seq, t) {
  const payload = PAYLOADS[(seq * 31 + sid) & 63];
  return `${MARK}${sid}|${seq}|${t}|${payload}|${checkOf(sid, seq, t)}\n`;
}

function nowUs() {
  const [s, ns] = process.hrtime();
  return s * 1e6 + Math.floor(ns / 1000);
}

const clients = [];
let counters = freshCounters();
let sendersCount = 4;

function freshCounters() {
  return {
    valid: 0,
    corrupt: 0,
    control: 0,
    duplicate: 0,
    bytes: 0,
    firstRecvUs: 0,
    lastRecvUs: 0,
    hist: newHistogram(),
    corruptSamples: [],
  };
}

/** All the lines in a chunk arrived at once: one clock reading serves them all. */
function onData(client, text) {
  const t = nowUs();
  counters.bytes += text.length;
  if (counters.firstRecvUs === 0) counters.firstRecvUs = t;
  counters.lastRecvUs = t;
  let start = 0;
  let buffered = client.tail;
  for (;;) {
    const nl = text.indexOf('\n', start);
    if (nl === -1) break;
    const line = buffered === '' ? text.slice(start, nl) : buffered + text.slice(start, nl);
    buffered = '';
    start = nl + 1;
    if (client.greeted < 2) {
      client.greeted++;
      if (client.greeted === 2) {
        greetedOne(t);
        client.onGreeted();
      }
    }
    checkLine(client, line, t);
  }
  client.tail = buffered + text.slice(start);
}

function checkLine(client, line, t) {
  const at = line.indexOf(MARK);
  if (at === -1) {
    counters.control++;
    return;
  }
  const parts = line.slice(at + MARK.length).split('|');
  const sid = Number(parts[0]);
  const seq = Number(parts[1]);
  const sent = Number(parts[2]);
  const ok =
    parts.length === 5 &&
    Number.isInteger(sid) &&
    sid >= 0 &&
    sid < sendersCount &&
    Number.isInteger(seq) &&
    Number.isInteger(sent) &&
    parts[3] === PAYLOADS[(seq * 31 + sid) & 63] &&
    parts[4].replace(/\r$/, '') === checkOf(sid, seq, sent);
  if (!ok) {
    counters.corrupt++;
    if (counters.corruptSamples.length < 5) counters.corruptSamples.push(line.slice(0, 160));
    return;
  }
  if (seq <= client.lastSeq[sid]) {
    counters.duplicate++;
    return;
  }
  client.lastSeq[sid] = seq;
  counters.valid++;
  counters.hist[bucketOf(t - sent)]++;
}

let join = { expected: 0, greeted: 0, lastGreetUs: 0, failed: 0, closed: 0, errors: {} };

function greetedOne(t) {
  join.greeted++;
  join.lastGreetUs = t;
  if (join.greeted + join.failed === join.expected) process.send({ ev: 'greeted', ...joinSummary() });
}

function joinSummary() {
  return { greeted: join.greeted, failed: join.failed, lastGreetUs: join.lastGreetUs, errors: join.errors };
}

function openClient(host, port, index, senderId) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, noDelay: true });
    const client = {
      socket,
      index,
      senderId,
      tail: '',
      greeted: 0,
      lastSeq: new Float64Array(8).fill(-1),
      open: false,
      // A join is over when the greeting is in, not at 'connect': the kernel completes the
      // handshake before the server accepts, and unaccepted connections overflow its backlog.
      onGreeted: () => resolve(client),
    };
    socket.setEncoding('latin1');
    socket.on('data', (text) => onData(client, text));
    socket.once('connect', () => {
      client.open = true;
    });
    socket.on('error', (err) => {
      join.errors[err.code ?? err.message] = (join.errors[err.code ?? err.message] ?? 0) + 1;
      if (!client.open) {
        join.failed++;
        if (join.greeted + join.failed === join.expected) process.send({ ev: 'greeted', ...joinSummary() });
        resolve(undefined);
      }
    });
    socket.on('close', () => {
      if (client.open) join.closed++;
      if (client.greeted < 2) resolve(client.open ? client : undefined);
    });
  });
}

/** Opens `count` clients with at most `concurrency` joins (connect to greeting) in flight. */
async function joinAll({ host, port, count, concurrency, senders }) {
  join = { expected: count, greeted: 0, lastGreetUs: 0, failed: 0, closed: 0, errors: {} };
  let next = 0;
  const lane = async () => {
    while (next < count) {
      const i = next++;
      const client = await openClient(host, port, i, senders ? i : -1);
      if (client) clients.push(client);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
  process.send({ ev: 'connected', connected: clients.length, failed: join.failed });
}

let seq = 0;

/**
 * Sends test lines from every sender socket: `rate` lines per second each (paced and loaded
 * phases) or, when rate is 0, as fast as the sockets take them (blast), for `durationMs` and at
 * most `maxLines` per sender. Replies with the first and last seq sent by each sender.
 */
async function send({ rate, durationMs, maxLines }) {
  const firstSeq = seq;
  const senders = clients.filter((c) => c.senderId >= 0 && !c.socket.destroyed);
  const sent = new Array(sendersCount).fill(0);
  const startedUs = nowUs();
  const deadline = performance.now() + durationMs;
  const lines = (client, n) => {
    const t = nowUs();
    let text = '';
    for (let k = 0; k < n; k++) text += makeLine(client.senderId, seq + k, t);
    return text;
  };
  if (rate > 0) {
    // Paced: every 2 ms, send what the rate says is due by now, spread over the senders.
    const started = performance.now();
    let due = 0;
    while (performance.now() < deadline && due < maxLines) {
      const target = Math.min(maxLines, Math.floor(((performance.now() - started) / 1000) * rate));
      for (; due < target; due++) {
        for (const client of senders) {
          client.socket.write(lines(client, 1));
          sent[client.senderId]++;
        }
        seq++;
      }
      await new Promise((r) => setTimeout(r, 2));
    }
  } else {
    // Blast: batches of 32 lines; a full socket buffer waits for 'drain' (TCP backpressure).
    const batch = 32;
    let count = 0;
    while (performance.now() < deadline && count < maxLines) {
      const waits = [];
      for (const client of senders) {
        if (!client.socket.write(lines(client, batch))) {
          waits.push(new Promise((r) => client.socket.once('drain', r)));
        }
        sent[client.senderId] += batch;
      }
      seq += batch;
      count += batch;
      if (waits.length > 0) {
        const timeLeft = deadline - performance.now();
        await Promise.race([Promise.all(waits), new Promise((r) => setTimeout(r, Math.max(timeLeft, 0)))]);
      } else await new Promise((r) => setImmediate(r));
    }
  }
  process.send({ ev: 'sent', sent, firstSeq, lastSeq: seq - 1, startedUs, endedUs: nowUs() });
}

process.on('message', async (msg) => {
  switch (msg.cmd) {
    case 'join':
      sendersCount = msg.sendersCount ?? 4;
      await joinAll(msg);
      return;
    case 'reset':
      counters = freshCounters();
      process.send({ ev: 'reset' });
      return;
    case 'stats':
      process.send({
        ev: 'stats',
        ...counters,
        ...joinSummary(),
        closed: join.closed,
        open: clients.length - join.closed,
      });
      return;
    case 'send':
      await send(msg);
      return;
    case 'close':
      for (const c of clients) c.socket.destroy();
      process.send({ ev: 'closed' });
      setTimeout(() => process.exit(0), 50);
      return;
  }
});
process.on('disconnect', () => process.exit(0));

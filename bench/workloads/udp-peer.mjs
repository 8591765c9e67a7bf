/**
 * One UDP peer for the UDP room workload (forked by udp-room.mjs): a receiver that counts and
 * checks test datagrams, or a sender that writes them at a fixed rate or as fast as it can.
 * A test datagram is  ~U|<seq>|<payload>  padded to the size asked for; a relay may add a
 * prefix (rocket: "<guest-2> ") and a newline, which the check allows, and may pack several
 * such lines into one datagram.
 */
import dgram from 'node:dgram';

const socket = dgram.createSocket({ type: 'udp4', recvBufferSize: 4 * 1024 * 1024 });
let seen = new Uint8Array(0);
let stats = fresh();

function fresh() {
  return { received: 0, valid: 0, corrupt: 0, duplicate: 0, firstUs: 0, lastUs: 0 };
}

function nowUs() {
  const [s, ns] = process.hrtime();
  return s * 1e6 + Math.floor(ns / 1000);
}

function payload(seq, size) {
  const head = `~U|${seq}|`;
  return head + 'x'.repeat(Math.max(size - head.length, 0));
}

// A relay may pack several messages into one datagram, a line each (rocket does, for plain
// peers): every line is a message of its own.
socket.on('message', (msg) => {
  const t = nowUs();
  for (const line of msg.toString('latin1').split('\n')) if (line !== '') check(line, t);
});

function check(line, t) {
  const at = line.indexOf('~U|');
  if (at === -1) return; // greetings, joins, errors
  stats.received++;
  if (stats.firstUs === 0) stats.firstUs = t;
  stats.lastUs = t;
  const body = line.slice(at);
  const seq = Number(body.slice(3, body.indexOf('|', 3)));
  if (!Number.isInteger(seq) || seq < 0 || seq >= seen.length || body !== payload(seq, stats.size)) {
    stats.corrupt++;
    return;
  }
  if (seen[seq]) stats.duplicate++;
  else {
    seen[seq] = 1;
    stats.valid++;
  }
}

async function sendAll({ host, port, count, size, rate }) {
  const started = performance.now();
  const startedUs = nowUs();
  let sent = 0;
  let inFlight = 0;
  const one = () => {
    inFlight++;
    socket.send(payload(sent, size), port, host, () => inFlight--);
    sent++;
  };
  while (sent < count) {
    if (rate > 0) {
      const due = Math.min(count, Math.floor(((performance.now() - started) / 1000) * rate));
      while (sent < due) one();
      await new Promise((r) => setTimeout(r, 1));
    } else {
      // As fast as the socket takes them: keep at most 256 sends queued in libuv.
      while (sent < count && inFlight < 256) one();
      await new Promise((r) => setImmediate(r));
    }
  }
  while (inFlight > 0) await new Promise((r) => setImmediate(r));
  return { sent, startedUs, endedUs: nowUs() };
}

process.on('message', async (msg) => {
  switch (msg.cmd) {
    case 'bind':
      socket.bind(0, '127.0.0.1', () => process.send({ ev: 'bound', port: socket.address().port }));
      return;
    case 'hello':
      // A plain UDP peer joins a rocket room with its first datagram.
      socket.send('hello\n', msg.port, msg.host, () => process.send({ ev: 'hello' }));
      return;
    case 'expect':
      stats = { ...fresh(), size: msg.size };
      seen = new Uint8Array(msg.count);
      process.send({ ev: 'expect' });
      return;
    case 'stats':
      process.send({ ev: 'stats', ...stats });
      return;
    case 'send':
      process.send({ ev: 'sent', ...(await sendAll(msg)) });
      return;
    case 'close':
      socket.close();
      process.exit(0);
  }
});
process.on('disconnect', () => process.exit(0));

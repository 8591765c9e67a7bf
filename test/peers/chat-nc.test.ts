import { networkInterfaces } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { IN_THE_ROOM, joinNc, joinSocket, PlainSocket } from '../helpers/plain-peer.js';
import { cleanupAll, type Peer, spawnPeer, startRoom } from '../helpers/processes.js';

/**
 * A rocket room (`rocket listen`, the built CLI) with real plain peers: OpenBSD nc
 * processes and plain node sockets, which know nothing about rocket and talk text lines.
 */

afterEach(cleanupAll);

const GREETING = /^\*\*\* rocket\/1 /;

async function georgeRoom(extra: string[] = []): Promise<{ room: Peer; port: number }> {
  return startRoom(['--nick', 'george', '--json', ...extra]);
}

function roomMessage(room: Peer, from: string, text: string, since = 0): Promise<Record<string, unknown>> {
  return room.stdout.waitForJson((e) => e.type === 'message' && e.from === from && e.text === text, {
    since,
    what: `message ${JSON.stringify(text)} from ${from}`,
  });
}

describe('rocket listen with nc clients', () => {
  it('greets an nc client with the rocket/1 line, its guest name and how to set a nickname', async () => {
    const { port } = await georgeRoom();
    const nc = spawnPeer('nc', ['127.0.0.1', String(port)]);
    const greeting = await nc.stdout.waitFor(GREETING);
    expect(greeting).toMatch(/You are guest-\d+/);
    expect(greeting).toContain('/nick');
    expect(await nc.stdout.waitFor(IN_THE_ROOM)).toContain('george');
  });

  it('shows a renamed nc client speaking in its JSON, and the room member speaking reaches nc', async () => {
    const { room, port } = await georgeRoom();
    const nc = spawnPeer('nc', ['127.0.0.1', String(port)]);
    const greeting = await nc.stdout.waitFor(GREETING);
    const guest = /You are (guest-\d+)/.exec(greeting)![1];

    await nc.write('/nick bob\nhello\n');
    // A first-line /nick joins under that name; nc itself is told its guest name changed.
    await room.stdout.waitForJson((e) => e.type === 'join' && e.nick === 'bob');
    await nc.stdout.waitFor(new RegExp(`^\\*\\*\\* ${guest} is now known as bob$`));
    await roomMessage(room, 'bob', 'hello');

    await room.write('hi bob, this is george\n');
    await nc.stdout.waitFor(/^<george> hi bob, this is george$/);
  });

  it('announces an nc client whose first line is /nick under that name', async () => {
    const { port } = await georgeRoom();
    const carol = await joinNc(port, 'carol');
    const mark = carol.stdout.mark();
    const bob = spawnPeer('nc', ['127.0.0.1', String(port)]);
    await bob.stdout.waitFor(IN_THE_ROOM);
    await bob.write('/nick bob\nhello from bob\n');
    await carol.stdout.waitFor(/^<bob> hello from bob$/, { since: mark });
    // What carol saw of bob's arrival: "*** bob joined", not a guest name renamed at once.
    const arrival = carol.stdout.lines.slice(mark).filter((l) => l.startsWith('*** '));
    expect(arrival).toContain('*** bob joined');
  });

  it('lets two nc clients read each other with nicknames and see a leave line', async () => {
    const { room, port } = await georgeRoom();
    const carol = await joinNc(port, 'carol');
    const mark = carol.stdout.mark();
    const bob = await joinNc(port, 'bob');
    await carol.stdout.waitFor(/^\*\*\* \S+ joined$/, { since: mark });

    await bob.write('hello carol\n');
    await carol.stdout.waitFor(/^<bob> hello carol$/);
    await carol.write('hello bob\n');
    await bob.stdout.waitFor(/^<carol> hello bob$/);

    // bob says /quit: the room announces it and closes his connection, so his nc ends.
    await bob.write('/quit see you\n');
    bob.endInput();
    await carol.stdout.waitFor(/^\*\*\* bob left \(see you\)$/);
    await room.stdout.waitForJson((e) => e.type === 'leave' && e.nick === 'bob');
    expect((await bob.waitExit()).code).toBe(0);
  });

  it('lists the members with /who', async () => {
    const { port } = await georgeRoom();
    await joinNc(port, 'carol');
    const bob = await joinNc(port, 'bob');
    await bob.write('/who\n');
    const who = await bob.stdout.waitFor(/^\*\*\* In the room \(\d+\): /);
    const names = who.replace(/^\*\*\* In the room \((\d+)\): /, '').split(', ');
    expect(names.sort()).toEqual(['bob', 'carol', 'george']);
    expect(who).toContain('(3)');
  });

  it('delivers /msg to the named member only', async () => {
    const { room, port } = await georgeRoom();
    const carol = await joinNc(port, 'carol');
    const dave = await joinNc(port, 'dave');
    const bob = await joinNc(port, 'bob');
    const daveMark = dave.stdout.mark();
    const roomMark = room.stdout.mark();

    await bob.write('/msg carol the secret is 42\n');
    await carol.stdout.waitFor(/^<bob -> carol> the secret is 42$/);
    // A public line after it: once the others have that, they would have had the secret too.
    await bob.write('public after the secret\n');
    await dave.stdout.waitFor(/^<bob> public after the secret$/, { since: daveMark });
    await roomMessage(room, 'bob', 'public after the secret', roomMark);

    expect(dave.stdout.matching(/secret is 42/, daveMark)).toEqual([]);
    expect(room.stdout.lines.slice(roomMark).join('\n')).not.toContain('secret is 42');
  });

  it('renders /me as an action line', async () => {
    const { room, port } = await georgeRoom();
    const carol = await joinNc(port, 'carol');
    const bob = await joinNc(port, 'bob');
    await bob.write('/me waves\n');
    await carol.stdout.waitFor(/^\* bob waves$/);
    const action = await room.stdout.waitForJson((e) => e.type === 'message' && e.from === 'bob');
    expect(action).toMatchObject({ text: 'waves', action: true });
  });

  it('answers an unknown /command with an error line to the sender only and changes nothing', async () => {
    const { room, port } = await georgeRoom();
    const carol = await joinNc(port, 'carol');
    const bob = await joinNc(port, 'bob');
    // Let bob's arrival reach carol and the room first, so only what follows is compared.
    await carol.stdout.waitFor(/^\*\*\* bob joined$/);
    await room.stdout.waitForJson((e) => e.type === 'join' && e.nick === 'bob');
    const carolMark = carol.stdout.mark();
    const bobMark = bob.stdout.mark();
    const roomMark = room.stdout.mark();

    await bob.write('/teleport carol\n');
    const error = await bob.stdout.waitFor(/^!!! /, { since: bobMark });
    expect(error).toContain('/teleport');
    await bob.write('still bob\n');
    await carol.stdout.waitFor(/^<bob> still bob$/, { since: carolMark });
    await roomMessage(room, 'bob', 'still bob', roomMark);

    expect(carol.stdout.lines.slice(carolMark)).toEqual(['<bob> still bob']);
    expect(room.stdout.json(roomMark).map((e) => e.type)).toEqual(['message']);
  });

  const hasIpv6Loopback = Object.values(networkInterfaces())
    .flat()
    .some((i) => i?.address === '::1');
  it.skipIf(!hasIpv6Loopback)('serves nc over IPv6 loopback (::1) in the same room as IPv4', async () => {
    const { port } = await georgeRoom();
    const carol = await joinNc(port, 'carol', '127.0.0.1');
    const bob = await joinNc(port, 'bob', '::1');
    await bob.write('over ipv6\n');
    await carol.stdout.waitFor(/^<bob> over ipv6$/);
  });
});

describe('rocket listen with plain clients in other encodings', () => {
  // "你好，乔治" and "你好，佩奇" in GBK, written out so no codec of ours makes them.
  const GBK_HELLO_GEORGE = Buffer.from('c4e3bac3a3acc7c7d6ce', 'hex');
  const GBK_NI = Buffer.from('c4e3', 'hex');
  const GBK_HAO = Buffer.from('bac3', 'hex');

  it('lets a GBK client (after /encoding gbk) and a UTF-8 client read each other', async () => {
    const { room, port } = await georgeRoom();
    const peppa = await PlainSocket.connect(port, { encoding: 'gbk', name: 'gbk peppa' });
    await peppa.waitFor(IN_THE_ROOM);
    await peppa.write('/encoding gbk\n/nick peppa\n');
    await peppa.waitFor(/gbk/);
    await peppa.waitFor(/is now known as peppa$/);
    const suzy = await joinSocket(port, 'suzy', 'utf-8');

    await peppa.write(Buffer.concat([GBK_HELLO_GEORGE, Buffer.from('\n')]));
    await suzy.waitFor(/^<peppa> 你好，乔治$/);
    await roomMessage(room, 'peppa', '你好，乔治');

    await suzy.write('你好，佩奇\n');
    await peppa.waitFor(/^<suzy> 你好，佩奇$/);
    // And the bytes on peppa's wire were GBK, not UTF-8.
    expect(peppa.log.bytes.includes(Buffer.from('c4e3bac3a3acc5e5c6e6', 'hex'))).toBe(true);
    expect(peppa.log.bytes.includes(Buffer.from('你好', 'utf8'))).toBe(false);
  });

  it('does not garble a UTF-8 character whose bytes arrive in separate writes', async () => {
    const { room, port } = await georgeRoom();
    const bob = await joinSocket(port, 'bob');
    const ni = Buffer.from('你', 'utf8'); // e4 bd a0
    // "ab" and the first byte of 你: the room holds the byte, and shows "ab" after a
    // pause without a newline (the tutorial's clients never send one).
    await bob.write(Buffer.concat([Buffer.from('ab'), ni.subarray(0, 1)]));
    await roomMessage(room, 'bob', 'ab');
    await bob.write(ni.subarray(1, 2));
    await bob.write(Buffer.concat([ni.subarray(2), Buffer.from('好\n')]));
    await roomMessage(room, 'bob', '你好');
    expect(room.stdout.lines.join('\n')).not.toContain('\ufffd');
  });

  it('does not garble a GBK character whose bytes arrive in separate writes', async () => {
    const { room, port } = await georgeRoom();
    const peppa = await PlainSocket.connect(port, { encoding: 'gbk', name: 'gbk peppa' });
    await peppa.waitFor(IN_THE_ROOM);
    await peppa.write('/encoding gbk\n/nick peppa\n');
    await peppa.waitFor(/is now known as peppa$/);
    await peppa.write(Buffer.concat([Buffer.from('cd'), GBK_NI.subarray(0, 1)]));
    await roomMessage(room, 'peppa', 'cd');
    await peppa.write(Buffer.concat([GBK_NI.subarray(1), GBK_HAO, Buffer.from('\n')]));
    await roomMessage(room, 'peppa', '你好');
    expect(room.stdout.lines.join('\n')).not.toContain('\ufffd');
  });

  it('turns invalid bytes into U+FFFD and keeps serving', async () => {
    const { room, port } = await georgeRoom();
    const carol = await joinSocket(port, 'carol');
    const bob = await joinSocket(port, 'bob');
    await bob.write(Buffer.from([0xff, 0xfe, 0x6f, 0x6b, 0x0a])); // ff fe "ok" \n
    const message = await room.stdout.waitForJson((e) => e.type === 'message' && e.from === 'bob');
    expect(message.text).toMatch(/^\ufffd+ok$/);
    await carol.waitFor(/^<bob> \ufffd+ok$/);

    await bob.write('bob still talks\n');
    await carol.waitFor(/^<bob> bob still talks$/);
    const late = await joinSocket(port, 'late');
    await carol.write('welcome late\n');
    await late.waitFor(/^<carol> welcome late$/);
    expect(room.running).toBe(true);
  });
});

describe('rocket listen under load and loss', () => {
  it('delivers one message to 200 plain clients at once', async () => {
    const { port } = await georgeRoom();
    const count = 200;
    const clients = await Promise.all(
      Array.from({ length: count }, (_, i) => PlainSocket.connect(port, { name: `client ${i}` })),
    );
    await Promise.all(clients.map((c) => c.waitFor(IN_THE_ROOM, { timeoutMs: 10_000 })));
    const sender = await joinSocket(port, 'sender');
    const started = Date.now();
    await sender.write('hello to all 200\n');
    await Promise.all(clients.map((c) => c.waitFor(/^<sender> hello to all 200$/, { timeoutMs: 10_000 })));
    expect(Date.now() - started).toBeLessThan(10_000);
    // Each got it exactly once.
    for (const c of clients) expect(c.log.matching(/hello to all 200/)).toHaveLength(1);
  });

  it('tells the others when a client is reset mid-conversation, and serves the rest', async () => {
    const { room, port } = await georgeRoom();
    const carol = await joinNc(port, 'carol');
    const dave = await joinSocket(port, 'dave');
    await dave.write('about to vanish\n');
    await carol.stdout.waitFor(/^<dave> about to vanish$/);

    dave.socket.resetAndDestroy();
    const left = await carol.stdout.waitFor(/^\*\*\* dave left/);
    expect(left).toMatch(/^\*\*\* dave left \(.+\)$/);
    await room.stdout.waitForJson((e) => e.type === 'leave' && e.nick === 'dave');

    await room.write('still here\n');
    await carol.stdout.waitFor(/^<george> still here$/);
    await carol.write('me too\n');
    await roomMessage(room, 'carol', 'me too');
  });

  it('tells the others when an nc process is killed with SIGKILL, and serves the rest', async () => {
    const { room, port } = await georgeRoom();
    const carol = await joinNc(port, 'carol');
    const bob = await joinNc(port, 'bob');
    await bob.write('about to be killed\n');
    await carol.stdout.waitFor(/^<bob> about to be killed$/);

    bob.signal('SIGKILL');
    const left = await carol.stdout.waitFor(/^\*\*\* bob left/);
    expect(left).toMatch(/^\*\*\* bob left \(.+\)$/);

    const eve = await joinNc(port, 'eve');
    await eve.write('hi carol\n');
    await carol.stdout.waitFor(/^<eve> hi carol$/);
    await roomMessage(room, 'eve', 'hi carol');
  });
});

describe('rocket listen shutting down', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)(
    'says goodbye to every nc client on %s, closes them, and exits 0',
    async (signal) => {
      const { room, port } = await georgeRoom();
      const clients = [await joinNc(port, 'carol'), await joinNc(port, 'bob')];
      // nc exits once the room has closed the connection and its own input is done.
      for (const nc of clients) nc.endInput();
      room.signal(signal);
      for (const nc of clients) {
        await nc.stdout.waitFor(/^\*\*\* The room is closing\. Goodbye/);
        expect(await nc.waitExit()).toEqual({ code: 0, signal: null });
      }
      expect(await room.waitExit()).toEqual({ code: 0, signal: null });
      expect(room.stderr.text).not.toMatch(/^\s+at /m);
    },
  );
});

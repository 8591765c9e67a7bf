import dgram from 'node:dgram';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { joinNc } from '../helpers/plain-peer.js';
import { cleanupAll, onCleanup, runCli, spawnCli, startRoom, withDeadline } from '../helpers/processes.js';
import { startCli } from '../helpers/spawn-cli.js';

/** `rocket connect` (Peppa's side) against a `rocket listen` room, both the built CLI. */

afterEach(cleanupAll);

describe('rocket connect to a rocket room', () => {
  it('delivers piped input to the room, announced under its nick, and exits 0', async () => {
    const { room, port } = await startRoom(['--nick', 'george', '--json']);
    const bob = await joinNc(port, 'bob');

    const peppa = spawnCli(['connect', '127.0.0.1', String(port), '--nick', 'peppa', '--json']);
    await peppa.write('hi\n');
    peppa.endInput();
    expect(await peppa.waitExit(10_000)).toEqual({ code: 0, signal: null });

    await room.stdout.waitForJson((e) => e.type === 'message' && e.from === 'peppa' && e.text === 'hi');
    const events = room.stdout.json();
    const joined = events.findIndex((e) => e.type === 'join' && e.nick === 'peppa');
    const said = events.findIndex((e) => e.type === 'message' && e.from === 'peppa');
    expect(joined).toBeGreaterThanOrEqual(0);
    expect(joined).toBeLessThan(said);
    await bob.stdout.waitFor(/^<peppa> hi$/);

    // Its own JSON: a welcome that names it, and nothing unreadable.
    const welcome = peppa.stdout.json().find((e) => e.type === 'welcome');
    expect(welcome).toMatchObject({ type: 'welcome', nick: 'peppa' });
    for (const line of peppa.stdout.lines) expect(() => JSON.parse(line)).not.toThrow();
    expect(peppa.stderr.text).not.toMatch(/^rocket: /m);
  });

  it('with -q, prints a reply that arrives after its input ended, then leaves', async () => {
    const { room, port } = await startRoom(['--nick', 'george', '--json']);
    const peppa = spawnCli(['connect', '127.0.0.1', String(port), '--nick', 'peppa', '--json', '-q', '1']);
    await peppa.write('is anyone there?\n');
    peppa.endInput();

    await room.stdout.waitForJson(
      (e) => e.type === 'message' && e.from === 'peppa' && e.text === 'is anyone there?',
    );
    await room.write('yes, george is here\n');
    const reply = await peppa.stdout.waitForJson(
      (e) => e.type === 'message' && e.from === 'george' && e.text === 'yes, george is here',
      { what: "george's reply" },
    );
    expect(reply.id).toEqual(expect.any(String));
    expect(await peppa.waitExit(10_000)).toEqual({ code: 0, signal: null });
    await room.stdout.waitForJson((e) => e.type === 'leave' && e.nick === 'peppa');
  });

  it('says a piped /quit with its reason after the lines before it, and nothing after it', async () => {
    const { room, port } = await startRoom(['--no-store', '--json']);
    const peppa = spawnCli(['connect', '127.0.0.1', String(port), '--nick', 'peppa']);
    await peppa.write('first\n/quit off to the bike shed\nnever said\n');
    peppa.endInput();
    expect(await peppa.waitExit(10_000)).toEqual({ code: 0, signal: null });
    await room.stdout.waitForJson((e) => e.type === 'leave' && e.nick === 'peppa');
    const mine = room.stdout.json().filter((e) => e.from === 'peppa' || e.nick === 'peppa');
    expect(mine.map((e) => e.type)).toEqual(['join', 'message', 'leave']);
    expect(mine[1]).toMatchObject({ text: 'first' });
    expect(mine[2]).toMatchObject({ reason: 'off to the bike shed' });
  });

  it('takes the room as [IPv6]:PORT or HOST:PORT, like send and inbox', async () => {
    const { room, port } = await startRoom(['--host', '::1', '--json']);
    for (const target of [[`[::1]:${port}`], ['[::1]', String(port)]]) {
      const peppa = spawnCli(['connect', ...target]);
      await peppa.write('hi over v6\n');
      peppa.endInput();
      expect(await peppa.waitExit(10_000)).toEqual({ code: 0, signal: null });
    }
    await room.stdout.waitForJson((e) => e.type === 'message' && e.text === 'hi over v6');
  });

  it('shows a room member its plain-text form without --json', async () => {
    const { room, port } = await startRoom(['--nick', 'george', '--json']);
    const peppa = spawnCli(['connect', '127.0.0.1', String(port), '--nick', 'peppa']);
    await peppa.stdout.waitFor(/^\*\*\* You are peppa in /);
    // Who is in the room is said once, with the nick settled (not also as plain clients hear it).
    expect(peppa.stdout.text.split('\n').filter((line) => /in the room/i.test(line))).toEqual([
      expect.stringMatching(/^\*\*\* You are peppa in .+; in the room: george, peppa$/),
    ]);
    await room.write('hello peppa\n');
    await peppa.stdout.waitFor(/^<george> hello peppa$/);
    await peppa.write('/me waves\n');
    await room.stdout.waitForJson((e) => e.type === 'message' && e.from === 'peppa' && e.action === true);
    peppa.endInput();
    expect((await peppa.waitExit(10_000)).code).toBe(0);
  });
});

describe('letters from the command line, as the README shows them', () => {
  it('claims a nick with connect, leaves a letter with send, picks it up with inbox HOST PORT', async () => {
    const { port } = await startRoom(['--no-store']);
    const dir = mkdtempSync(join(tmpdir(), 'rocket-letters-'));
    onCleanup(() => rmSync(dir, { recursive: true, force: true }));
    const secret = join(dir, 'george');
    writeFileSync(secret, 'mud-puddles\n', { mode: 0o600 });
    const claim = await runCli([
      'connect',
      '127.0.0.1',
      String(port),
      '--nick',
      'george',
      '--password-file',
      secret,
    ]);
    expect(claim.exit.code).toBe(0);
    // Not "You are guest-N" first: the guest name lasts only until the login is decided.
    expect(claim.stdout).toMatch(
      /^\*\*\* in \S+: .+; logging in as george\n\*\*\* george is registered to you now/m,
    );
    expect(claim.stdout).not.toMatch(/guest/);

    const sent = await runCli(['send', `127.0.0.1:${port}`, '--to', 'george', 'Come to the bike shed at 4']);
    expect(sent.exit.code).toBe(0);
    expect(sent.stdout).toMatch(/^stored for george \(id \S+\)$/m);

    // inbox takes the port as connect does, after the host as well as after a colon.
    const inbox = await runCli([
      'inbox',
      '127.0.0.1',
      String(port),
      '--nick',
      'george',
      '--password-file',
      secret,
    ]);
    expect(inbox.exit.code).toBe(0);
    expect(inbox.stdout).toMatch(
      /^\[letter from guest-\d+, \d{4}-\d\d-\d\d \d\d:\d\d UTC\] Come to the bike shed at 4$/m,
    );
    expect(inbox.stderr.trim()).toBe('rocket: 1 letter(s) picked up');
  });
});

describe('rocket connect turned away or left behind', () => {
  it('exits 1 with the reason on stderr when the room refuses its address', async () => {
    const { port } = await startRoom(['--no-store', '--deny', '127.0.0.0/8']);
    const peppa = spawnCli(['connect', '127.0.0.1', String(port)]);
    await peppa.write('hello\n');
    peppa.endInput();
    expect(await peppa.waitExit(10_000)).toEqual({ code: 1, signal: null });
    expect(peppa.stderr.text.trim()).toBe('rocket: 127.0.0.1 is not allowed in this room');
    expect(peppa.stdout.text).not.toMatch(/not allowed/);
  });

  it('exits 1 with the reason when a UDP room turns it away (too many from its address)', async () => {
    const { room, port } = await startRoom(['--udp', '--no-store', '--max-conns-per-ip', '1']);
    const holder = dgram.createSocket('udp4');
    onCleanup(() => void holder.close());
    holder.send('/nick holder\n', port, '127.0.0.1');
    await room.stdout.waitFor(/holder joined/);
    const peppa = spawnCli(['connect', '127.0.0.1', String(port), '--udp']);
    await peppa.write('hello\n');
    peppa.endInput();
    expect(await peppa.waitExit(10_000)).toEqual({ code: 1, signal: null });
    expect(peppa.stderr.text.trim()).toBe('rocket: too many connections from 127.0.0.1 (at most 1)');
    expect(peppa.stdout.text).not.toMatch(/too many/);
  });

  it('says a refused --nick once, on stderr, and exits 1 without a word in the room', async () => {
    for (const udp of [false, true]) {
      const { room, port } = await startRoom(['--no-store', '--nick', 'george', ...(udp ? ['--udp'] : [])]);
      const peppa = spawnCli([
        'connect',
        '127.0.0.1',
        String(port),
        '--nick',
        'George',
        ...(udp ? ['--udp'] : []),
      ]);
      await peppa.write('hello\n');
      peppa.endInput();
      expect(await peppa.waitExit(10_000)).toEqual({ code: 1, signal: null });
      expect(peppa.stderr.text.trim()).toBe(
        'rocket: Cannot join as George: the nickname George is taken; try another',
      );
      expect(peppa.stdout.text).toBe('');
      // The room's own display: a line typed there now comes after anything the refused one caused.
      await room.write('/who\n');
      await room.stdout.waitFor(/^\*\*\* In the room \(1\): george$/);
      expect(room.stdout.text).not.toMatch(/hello|guest-\d+ (joined|left)/);
    }
  });

  it('exits 1 when the room vanishes without a goodbye (killed)', async () => {
    const { room, port } = await startRoom(['--no-store']);
    const peppa = spawnCli(['connect', '127.0.0.1', String(port), '--nick', 'peppa']);
    await room.stdout.waitFor(/peppa joined/);
    room.signal('SIGKILL');
    expect(await peppa.waitExit(10_000)).toEqual({ code: 1, signal: null });
    expect(peppa.stderr.text).toMatch(/^rocket: 127\.0\.0\.1:\d+ closed the connection without a goodbye$/m);
  });

  it('exits 0 when the room closes with a goodbye', async () => {
    const { room, port } = await startRoom(['--no-store']);
    const peppa = spawnCli(['connect', '127.0.0.1', String(port), '--nick', 'peppa']);
    await room.stdout.waitFor(/peppa joined/);
    room.signal('SIGTERM');
    expect(await peppa.waitExit(10_000)).toEqual({ code: 0, signal: null });
    // Said as news in the chat, not as an error.
    expect(peppa.stderr.text).toBe('');
    expect(peppa.stdout.text).toMatch(/^\*\*\* 127\.0\.0\.1:\d+ closed the connection$/m);
  });
});

describe('output whose reader went away (rocket ... | head -1)', () => {
  it('a room stops printing and goes on serving its members', async () => {
    const { room, port } = await startRoom(['--nick', 'george']);
    await room.stdout.waitFor(/.+/);
    room.child.stdout!.destroy(); // the reader of its output is gone: writes now fail with EPIPE
    const bob = await joinNc(port, 'bob');
    const amy = await joinNc(port, 'amy');
    for (let i = 0; i < 20; i++) await bob.write(`line ${i}\n`);
    await amy.stdout.waitFor(/^<bob> line 19$/);
    expect(room.child.exitCode).toBeNull();
    expect(room.stderr.text).not.toMatch(/EPIPE|Error/);
  });

  it('any other command stops quietly with exit 0', async () => {
    const { port } = await startRoom([]);
    const ping = spawnCli(['ping', '127.0.0.1', String(port), '-c', '50', '-i', '0.05']);
    await ping.stdout.waitFor(/.+/);
    ping.child.stdout!.destroy();
    expect(await ping.waitExit(10_000)).toEqual({ code: 0, signal: null });
    expect(ping.stderr.text).not.toMatch(/EPIPE|Error/);
  });
});

describe('rocket connect --udp', () => {
  it('joins a UDP room: its line arrives under its nick and a reply comes back', async () => {
    const { room, port } = await startRoom(['--udp', '--nick', 'george', '--json']);
    const peppa = spawnCli([
      'connect',
      '127.0.0.1',
      String(port),
      '--udp',
      '--nick',
      'peppa',
      '--json',
      '-q',
      '1',
    ]);
    await peppa.write('hello over udp\n');
    peppa.endInput();
    await room.stdout.waitForJson(
      (e) => e.type === 'message' && e.from === 'peppa' && e.text === 'hello over udp',
    );
    await room.write('got it\n');
    await peppa.stdout.waitForJson((e) => e.type === 'message' && e.from === 'george' && e.text === 'got it');
    expect(await peppa.waitExit(10_000)).toEqual({ code: 0, signal: null });
    expect(peppa.stdout.json().at(-1)).toEqual({ type: 'bye', text: 'Goodbye' }); // the room's, as over TCP
  });

  it('sends a long piped file at the room’s pace, every line under its nick', async () => {
    const { room, port } = await startRoom(['--udp', '--no-store', '--json']);
    const peppa = spawnCli(['connect', '127.0.0.1', String(port), '--udp', '--nick', 'peppa']);
    // More than the room's burst (200): sent at once as plain text, the rest would be dropped.
    await peppa.write(Array.from({ length: 250 }, (_, i) => `line ${i}\n`).join(''));
    peppa.endInput();
    expect(await peppa.waitExit(15_000)).toEqual({ code: 0, signal: null });
    const said = () => room.stdout.json().filter((e) => e.type === 'message');
    await room.stdout.waitForJson(() => said().length === 250, { timeoutMs: 5000 });
    expect(said().map((e) => `${e.from}: ${e.text}`)).toEqual(
      Array.from({ length: 250 }, (_, i) => `peppa: line ${i}`),
    );
  }, 30_000);

  it('refuses a message over 1400 bytes with a clear error and does not send it', async () => {
    // A bare UDP peer that records every datagram it gets.
    const peer = dgram.createSocket('udp4');
    onCleanup(() => new Promise<void>((resolve) => peer.close(() => resolve())));
    const datagrams: Buffer[] = [];
    const after = new Promise<void>((resolve) => {
      peer.on('message', (d: Buffer) => {
        datagrams.push(d);
        if (d.toString() === 'after\n') resolve();
      });
    });
    await new Promise<void>((resolve) => peer.bind(0, '127.0.0.1', resolve));
    const { port } = peer.address();

    const peppa = spawnCli(['connect', '127.0.0.1', String(port), '--udp']);
    await peppa.write(`before\n${'x'.repeat(2000)}\nafter\n`);
    peppa.endInput();
    const error = await peppa.stdout.waitFor(/not sent/);
    expect(error).toMatch(/2000/);
    expect(error).toMatch(/1400/);
    await peppa.waitExit(10_000);

    // "after" was sent after the long line would have been; the peer has had time for both.
    await withDeadline(after, 5000, 'the datagram "after"');
    expect(datagrams.map((d) => d.toString())).toEqual(['before\n', 'after\n']);
  });
});

describe('rocket listen --udp, its own display piped', () => {
  it('prints every line of a burst, in order, and the goodbye after them when stopped', async () => {
    // Piped, the room writes its display a turn at a time; nothing may be lost or reordered.
    const { room, port } = await startRoom(['--udp', '--nick', 'george', '--rate', '100000']);
    const socket = dgram.createSocket('udp4');
    onCleanup(() => {
      socket.close();
    });
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    const greeted = new Promise<Buffer>((resolve) => socket.once('message', resolve));
    socket.send('hello\n', port, '127.0.0.1');
    // On every address, the room cannot tell which one a datagram came to: it names the port.
    expect((await withDeadline(greeted, 5000, 'the greeting')).toString()).toMatch(
      new RegExp(`^\\*\\*\\* rocket/1 room \\S+ at port ${port} \\(udp\\)\\. You are guest-\\d+`),
    );
    expect(room.stdout.lines).toContain(
      `*** you are george; the room is on port ${port} of every address of this machine (rocket ip lists them)`,
    );
    const count = 300;
    for (let i = 0; i < count; i++) socket.send(`line ${i}\n`, port, '127.0.0.1');
    const said = await room.stdout.waitForCount(/^<guest-\d+> line \d+$/, count);
    expect(said.map((l) => Number(l.split(' ').pop()))).toEqual(Array.from({ length: count }, (_, i) => i));
    room.child.kill('SIGTERM');
    expect((await room.waitExit(10_000)).code).toBe(0);
    const lines = room.stdout.lines;
    expect(lines.at(-1)).toBe('*** The room is closing. Goodbye');
    const hello = lines.findIndex((l) => /^<guest-\d+> hello$/.test(l));
    expect(hello).toBeGreaterThanOrEqual(0);
    expect(hello).toBeLessThan(lines.indexOf(said[0]!));
  });
});

describe('rocket listen 0 (any free port)', () => {
  it('keeps letters in memory, not in a file every port-0 room would share', async () => {
    const dataHome = mkdtempSync(join(tmpdir(), 'rocket-port0-'));
    onCleanup(() => rmSync(dataHome, { recursive: true, force: true }));
    const room = startCli(['listen', '0', '--host', '127.0.0.1'], { env: { XDG_DATA_HOME: dataHome } });
    onCleanup(async () => void (await room.stop('SIGKILL')));
    await room.waitForStdout(/letters are kept in memory only: a room on port 0 is on a new port each time/);
    await room.stop();
    expect(readdirSync(dataHome, { recursive: true }).filter((f) => String(f).endsWith('.db'))).toEqual([]);
  });
});

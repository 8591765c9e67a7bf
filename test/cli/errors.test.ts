import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { damageMiddle } from '../helpers/damage.js';
import { cleanupAll, type ExitInfo, onCleanup, runCli, spawnCli, startRoom } from '../helpers/processes.js';

/**
 * What a user sees when something goes wrong: one "rocket: ..." line on stderr, no stack
 * trace, exit status 2 for a usage error and 1 for a failure.
 */

afterEach(cleanupAll);

/** commander's hint after a usage error; the only other line allowed beside the error. */
const USAGE_HINT = '(run with --help for usage)';

function expectOneLineError(
  result: { exit: ExitInfo; stdout: string; stderr: string },
  exitCode: 1 | 2,
): string {
  const lines = result.stderr.split('\n').filter((l) => l !== '');
  expect(result.stderr).not.toContain('    at ');
  expect(lines[0], result.stderr).toMatch(/^rocket: /);
  expect(lines.filter((l) => l.startsWith('rocket: '))).toHaveLength(1);
  const others = lines.slice(1);
  if (exitCode === 1) expect(others, 'a failure says it in one line').toEqual([]);
  else for (const line of others) expect(line).toBe(USAGE_HINT);
  expect(result.exit).toEqual({ code: exitCode, signal: null });
  expect(result.stdout).toBe('');
  return lines[0]!;
}

async function holdPort(host: string): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  onCleanup(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return (server.address() as net.AddressInfo).port;
}

/** A port nobody listens on: bound by the OS, then released. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function unprivilegedPortStart(): number {
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8').trim());
  } catch {
    return 1024;
  }
}

const isRoot = process.getuid?.() === 0;

describe('rocket usage errors (exit 2)', () => {
  it('refuses an empty host, and a port given twice', async () => {
    expect(expectOneLineError(await runCli(['connect', '', '9000']), 2)).toMatch(/a host is needed/);
    expect(expectOneLineError(await runCli(['connect', 'localhost:1', '9000']), 2)).toMatch(/given twice/);
  });

  it('takes no port as the first word of a letter, where connect would take it as the port', async () => {
    expect(expectOneLineError(await runCli(['send', '127.0.0.1', '9000', '--to', 'x', 'hi']), 2)).toBe(
      'rocket: "9000" looks like a port: write the room as 127.0.0.1:9000 (a letter that starts with a number: quote it whole, e.g. "3 apples", or send it on stdin)',
    );
    expect(expectOneLineError(await runCli(['send', '::1', '9000', '--to', 'x']), 2)).toMatch(
      /write the room as \[::1\]:9000/,
    );
    // With the port named, or the letter quoted whole, a number is the letter's: this one
    // fails only because nobody listens there.
    const port = await closedPort();
    for (const args of [
      ['send', `127.0.0.1:${port}`, '--to', 'x', '3', 'apples'],
      ['send', `127.0.0.1:${port}`, '--to', 'x', '3 apples'],
    ])
      expect(expectOneLineError(await runCli(args), 1)).toMatch(/nobody is listening/);
  });

  it('refuses a time longer than a timer can wait (past it, Node fires after 1 ms)', async () => {
    for (const args of [
      ['connect', '127.0.0.1:1', '--timeout', '2147484'],
      ['connect', '127.0.0.1:1', '-q', '3000000'],
      ['ping', '127.0.0.1', '1', '-i', '3000000'],
      ['scan', '127.0.0.1', '1', '--timeout', '3000000'],
      ['listen', '0', '--idle-timeout', '3000000'],
    ])
      expect(expectOneLineError(await runCli(args), 2)).toMatch(
        /^rocket: (--timeout|-q|--interval|--idle-timeout): \d+ seconds is longer than rocket can wait: at most 2147483 \(about 24 days\)$/,
      );
  });

  it('takes a service name for a port, as nc does, and suggests one for a typo', async () => {
    expect(expectOneLineError(await runCli(['ping', '127.0.0.1', 'sshh']), 2)).toBe(
      'rocket: "sshh" is neither a port number nor a service name: use e.g. 8888 or ssh (did you mean ssh?)',
    );
    // Known names become their registered port; nothing listens on 22 here, or if it does,
    // the probe says so: either way the line names port 22.
    const ssh = await runCli(['ping', '127.0.0.1', 'ssh', '-c', '1', '--timeout', '1']);
    expect(ssh.stdout.split('\n')[0]).toBe('PING 127.0.0.1 port 22 (tcp)');
    const http = await runCli(['ping', '127.0.0.1:http', '-c', '1', '--timeout', '1']);
    expect(http.stdout.split('\n')[0]).toBe('PING 127.0.0.1 port 80 (tcp)');
  });

  it('shows how to write an IPv6 address with a port, and refuses -4 with -6', async () => {
    // (::1:9000 would be an address: 9000 is a group of four hex digits.)
    expect(expectOneLineError(await runCli(['connect', '::1:47101']), 2)).toBe(
      'rocket: "::1:47101" is not an IPv6 address: with a port, write [::1]:47101',
    );
    expect(expectOneLineError(await runCli(['ping', 'a:b:c']), 2)).toBe(
      'rocket: "a:b:c" is not a host: write an IPv6 address as [::1] or [::1]:8888',
    );
    for (const command of [
      ['ping', '127.0.0.1'],
      ['scan', '127.0.0.1', '1'],
    ])
      expect(expectOneLineError(await runCli([...command, '-4', '-6']), 2)).toBe(
        'rocket: -4 and -6 together: give one, or neither for the first address the host has',
      );
  });

  it('refuses a timeout of 0 seconds, which would give up before trying', async () => {
    for (const args of [
      ['connect', '127.0.0.1:1'],
      ['send', '127.0.0.1:1', '--to', 'x', 'hi'],
      ['inbox', '127.0.0.1:1', '--nick', 'x'],
      ['ping', '127.0.0.1', '1'],
      ['scan', '127.0.0.1', '1'],
    ])
      expect(expectOneLineError(await runCli([...args, '--timeout', '0']), 2)).toBe(
        'rocket: --timeout: the timeout must be more than 0 seconds, e.g. 10 or 0.5',
      );
  });

  it('refuses --keep-open over UDP, where a raw pipe hears every sender anyway', async () => {
    expect(expectOneLineError(await runCli(['listen', '0', '--raw', '--udp', '--keep-open']), 2)).toBe(
      'rocket: --keep-open is for TCP: a UDP pipe hears every sender already, one after another',
    );
  });

  it('refuses --data-dir where a room keeps nothing in it', async () => {
    expect(expectOneLineError(await runCli(['listen', '0', '--no-store', '--data-dir', tmpdir()]), 2)).toBe(
      'rocket: --data-dir and --no-store: letters are kept in memory only, so drop one of them',
    );
    expect(expectOneLineError(await runCli(['listen', '0', '--raw', '--data-dir', tmpdir()]), 2)).toBe(
      'rocket: --data-dir goes with a room or --tls: a raw pipe keeps nothing',
    );
  });

  it('refuses port 0 and a half-bracketed IPv6 address as the peer to reach', async () => {
    for (const args of [
      ['connect', 'localhost', '0'],
      ['connect', 'localhost:0'],
      ['send', '127.0.0.1:0', '--to', 'x', 'hi'],
      ['ping', '127.0.0.1', '0'],
    ])
      expect(expectOneLineError(await runCli(args), 2)).toMatch(/port 0 cannot be connected to/);
    // A port to reach goes from 1, not from 0 as a port to listen on does.
    expect(expectOneLineError(await runCli(['connect', 'localhost', '70000']), 2)).toMatch(
      /ports go from 1 to 65535/,
    );
    expect(expectOneLineError(await runCli(['connect', 'localhost:']), 2)).toBe(
      'rocket: "localhost:" has no port after the colon: use localhost:PORT, or localhost for port 8888',
    );
    expect(expectOneLineError(await runCli(['connect', '[::1]:']), 2)).toBe(
      'rocket: "[::1]:" has no port after the colon: use [::1]:PORT, or [::1] for port 8888',
    );
    expect(expectOneLineError(await runCli(['connect', '[::1']), 2)).toBe(
      'rocket: "[::1" is not a host: write an IPv6 address as [::1] or [::1]:8888',
    );
  });

  it('refuses a port out of range', async () => {
    // Our parser's words alone, without the CLI parser's framing of them.
    expect(expectOneLineError(await runCli(['listen', '70000']), 2)).toBe(
      'rocket: port 70000 is out of range: ports go from 0 to 65535, e.g. 8888',
    );
    expect(expectOneLineError(await runCli(['connect', 'localhost', '--timeout', 'soon']), 2)).toBe(
      'rocket: --timeout: "soon" is not a number of seconds: use e.g. 1 or 0.5',
    );
  });

  it.each([
    ['listen', '0'],
    ['connect', '127.0.0.1'],
  ])('refuses an unknown encoding for %s, naming valid ones', async (...args) => {
    const result = await runCli([...args, '--encoding', 'klingon']);
    const line = expectOneLineError(result, 2);
    expect(line).toMatch(/klingon/);
    expect(line).toMatch(/gbk/);
    expect(result.stderr).not.toMatch(/Listening on/);
  });

  it.each([
    ['listen', '0'],
    ['connect', '127.0.0.1'],
  ])('refuses --raw with --json for %s', async (...args) => {
    const result = await runCli([...args, '--raw', '--json']);
    const line = expectOneLineError(result, 2);
    expect(line).toMatch(/--raw/);
    expect(line).toMatch(/--json/);
    expect(result.stderr).not.toMatch(/Listening on/);
  });

  it('refuses an unknown command', async () => {
    const line = expectOneLineError(await runCli(['bogus']), 2);
    expect(line).toMatch(/bogus/);
  });
});

describe('rocket failures (exit 1)', () => {
  it.skipIf(isRoot || unprivilegedPortStart() <= 80)(
    'explains that port 80 needs administrator rights, without root',
    async () => {
      const line = expectOneLineError(await runCli(['listen', '80']), 1);
      expect(line).toMatch(/80/);
      expect(line).toMatch(/1024/);
    },
  );

  it('says a port is in use and points to rocket port --free', async () => {
    const port = await holdPort('127.0.0.1');
    const line = expectOneLineError(await runCli(['listen', String(port), '--host', '127.0.0.1']), 1);
    expect(line).toContain(String(port));
    expect(line).toMatch(/in use/);
    expect(line).toContain('rocket port --free');
  });

  it('says nobody is listening on a closed port', async () => {
    const port = await closedPort();
    const line = expectOneLineError(await runCli(['connect', '127.0.0.1', String(port)]), 1);
    expect(line).toContain(`nobody is listening on 127.0.0.1:${port}`);
  });

  it('says in words what is wrong with a password file or a data folder', async () => {
    const folder = expectOneLineError(
      await runCli(['connect', '127.0.0.1', '1', '--nick', 'x', '--password-file', '/tmp']),
      1,
    );
    expect(folder).toBe('rocket: Cannot read the password file /tmp: it is a folder, not a file');
    const file = expectOneLineError(
      await runCli(['listen', '0', '--host', '127.0.0.1', '--data-dir', '/etc/hostname']),
      1,
    );
    expect(file).toMatch(/\/etc\/hostname is a file, not a folder$/);
  });

  it('ends in one line, not a stack trace, when a hostile room sends frames of the wrong shape', async () => {
    const frame = (json: string): Buffer => {
      const body = Buffer.from(json);
      const head = Buffer.alloc(4);
      head.writeUInt32BE(body.length);
      return Buffer.concat([head, body]);
    };
    const server = net.createServer((socket) => {
      socket.on('error', () => {});
      socket.write('*** rocket/1 room evil at 127.0.0.1 (tcp)\n');
      socket.once('data', () =>
        socket.write(
          Buffer.concat([
            Buffer.from('ROCKET/1 OK\n'),
            frame('{"type":"welcome","nick":"x","room":"evil","version":1,"members":[]}'),
            frame('{"type":"message","id":"1","ts":1,"from":{"toString":1},"text":"hi"}'),
          ]),
        ),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    onCleanup(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const peer = spawnCli(['connect', '127.0.0.1', String((server.address() as net.AddressInfo).port)]);
    const exit = await peer.waitExit(10_000); // stdin stays open: it ends because of the frame
    expect(exit).toEqual({ code: 1, signal: null });
    expect(peer.stderr.text).not.toContain('    at ');
    expect(peer.stderr.text.trim().split('\n')).toHaveLength(1);
  });

  it('ends rocket inbox in one line when the room’s store is damaged, and the room logs it', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'rocket-damaged-'));
    onCleanup(() => rmSync(dataDir, { recursive: true, force: true }));
    const secret = join(dataDir, 'bob.secret');
    writeFileSync(secret, 'muddy puddles\n');
    const roomArgs = ['--host', '127.0.0.1', '--data-dir', dataDir, '--rate', '100000'];
    const first = await startRoom(roomArgs);
    const target = `127.0.0.1:${first.port}`;
    expect((await runCli(['inbox', target, '--nick', 'bob', '--password-file', secret])).exit.code).toBe(1);
    const claim = spawnCli(['connect', target, '--nick', 'bob', '--password-file', secret]);
    claim.endInput();
    expect((await claim.waitExit(10_000)).code).toBe(0);
    const send = spawnCli(['send', target, '--to', 'bob']);
    await send.write(Array.from({ length: 1500 }, (_, i) => `letter ${i} ${'x'.repeat(600)}\n`).join(''));
    send.endInput();
    expect((await send.waitExit(30_000)).code).toBe(0);
    first.room.signal('SIGTERM');
    await first.room.waitExit(10_000);
    damageMiddle(join(dataDir, readdirSync(dataDir).find((f) => f.endsWith('.db'))!));
    const again = await startRoom(
      roomArgs.map((a) => (a === target ? a : a)),
      10_000,
    );
    const inbox = await runCli([
      'inbox',
      `127.0.0.1:${again.port}`,
      '--nick',
      'bob',
      '--password-file',
      secret,
    ]);
    const line = expectOneLineError({ ...inbox, stdout: '' }, 1);
    // Where the damage is decides which read fails first: the login's or the letters'.
    expect(line).toMatch(/^rocket: Cannot (pick up letters|log in as bob): .*damaged or not a rocket store/);
    expect(line).not.toContain(dataDir); // where the room keeps its file is the room's business
    await again.room.stderr.waitFor(
      /^rocket: (letters for bob cannot be handed over|a login as bob failed): .*damaged/,
    );
  }, 60_000);

  it('says a host name is unknown', async () => {
    const line = expectOneLineError(await runCli(['connect', 'no-such-host.invalid']), 1);
    expect(line).toMatch(/unknown host/);
    expect(line).toContain('no-such-host.invalid');
  });

  it('says an address given to --host is not one of this machine', async () => {
    // 203.0.113.7 is TEST-NET-3: never assigned to a real machine, so bind fails locally.
    const line = expectOneLineError(await runCli(['listen', '0', '--host', '203.0.113.7']), 1);
    expect(line).toContain('203.0.113.7');
    expect(line).toMatch(/not an address of this machine/);
  });
});

describe('rocket help', () => {
  it.each([[['--help']], [['listen', '--help']], [['connect', '--help']]])(
    'rocket %s exits 0 and shows Examples on stdout',
    async (args) => {
      const result = await runCli(args);
      expect(result.exit).toEqual({ code: 0, signal: null });
      expect(result.stdout).toMatch(/^Usage: rocket/m);
      expect(result.stdout).toMatch(/^Examples:$/m);
      expect(result.stdout).toMatch(/^ {2}rocket \S+/m);
      expect(result.stderr).toBe('');
    },
  );
});

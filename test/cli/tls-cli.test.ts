import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanupAll, onCleanup, type Peer, runCli, spawnCli, spawnPeer } from '../helpers/processes.js';
import { createTestCa, tempDir, writePem } from '../helpers/test-pki.js';

/** `rocket listen --tls` and `rocket connect --tls`, the built CLI on both sides. */

afterEach(cleanupAll);

const LISTENING = /^Listening on \S+ (\d+) \(tcp\)/;
const FINGERPRINT = /^TLS fingerprint (SHA256:[A-Za-z0-9+/]{43})$/;

function temp(): string {
  const dir = tempDir();
  onCleanup(() => dir.remove());
  return dir.path;
}

/** `rocket listen PORT --tls ...` on 127.0.0.1; resolves once it printed its port and fingerprint. */
async function startTlsRoom(
  args: string[],
  port = 0,
): Promise<{ room: Peer; port: number; fingerprint: string }> {
  const room = spawnCli(['listen', String(port), '--host', '127.0.0.1', '--tls', '--no-store', ...args]);
  const listening = await room.stderr.waitFor(LISTENING, { timeoutMs: 10_000 });
  const fingerprint = await room.stderr.waitFor(FINGERPRINT);
  return {
    room,
    port: Number(LISTENING.exec(listening)![1]),
    fingerprint: FINGERPRINT.exec(fingerprint)![1]!,
  };
}

/** Stops a room with SIGTERM (it says goodbye and exits 0). */
async function stop(room: Peer): Promise<void> {
  room.signal('SIGTERM');
  await room.waitExit(10_000);
}

/** `echo LINE | rocket connect 127.0.0.1 PORT ...args`, run to its end. */
async function say(port: number, line: string, args: string[]): Promise<Peer> {
  const peer = spawnCli(['connect', '127.0.0.1', String(port), ...args]);
  await peer.write(`${line}\n`);
  peer.endInput();
  await peer.waitExit(10_000);
  return peer;
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

describe('rocket listen --tls / connect --tls', () => {
  it('pins the certificate on first use, says so once, and carries messages', async () => {
    const { room, port, fingerprint } = await startTlsRoom([
      '--data-dir',
      temp(),
      '--nick',
      'george',
      '--json',
    ]);
    expect(room.stderr.text).toMatch(/^TLS: made a self-signed certificate .*tls-cert\.pem/m);
    expect(room.stderr.text).toContain(`join with: rocket connect 127.0.0.1 ${port} --tls`);
    const clientDir = temp();

    const first = await say(port, 'hello over TLS', ['--tls', '--data-dir', clientDir, '--nick', 'peppa']);
    expect(first.exitInfo).toEqual({ code: 0, signal: null });
    expect(first.stderr.lines).toEqual([
      `rocket: first connection to 127.0.0.1:${port}: pinned certificate ${fingerprint} in ${join(clientDir, 'known_hosts')}`,
    ]);
    await room.stdout.waitForJson(
      (e) => e.type === 'message' && e.from === 'peppa' && e.text === 'hello over TLS',
    );

    const again = await say(port, 'and again', ['--tls', '--data-dir', clientDir, '--nick', 'peppa']);
    expect(again.exitInfo).toEqual({ code: 0, signal: null });
    expect(again.stderr.text).toBe('');
    await room.stdout.waitForJson((e) => e.type === 'message' && e.text === 'and again');
  });

  it('keeps its certificate across restarts; a new one is refused, naming both fingerprints', async () => {
    const roomDir = temp();
    const clientDir = temp();
    const first = await startTlsRoom(['--data-dir', roomDir]);
    expect((await say(first.port, 'hi', ['--tls', '--data-dir', clientDir])).exitInfo?.code).toBe(0);
    await stop(first.room);

    const restarted = await startTlsRoom(['--data-dir', roomDir], first.port);
    expect(restarted.fingerprint).toBe(first.fingerprint);
    expect(restarted.room.stderr.text).not.toMatch(/made a self-signed certificate/);
    expect((await say(first.port, 'hi', ['--tls', '--data-dir', clientDir])).exitInfo?.code).toBe(0);
    await stop(restarted.room);

    // The room loses its certificate and makes a new one: to the client this is what an
    // impostor on the same address looks like.
    for (const name of readdirSync(roomDir)) if (name.startsWith('tls-')) rmSync(join(roomDir, name));
    const renewed = await startTlsRoom(['--data-dir', roomDir], first.port);
    expect(renewed.fingerprint).not.toBe(first.fingerprint);
    const refused = await say(first.port, 'hi', ['--tls', '--data-dir', clientDir]);
    expect(refused.exitInfo?.code).toBe(1);
    expect(refused.stderr.lines).toHaveLength(1);
    expect(refused.stderr.lines[0]).toMatch(
      /^rocket: Cannot connect to 127\.0\.0\.1:\d+ \(tls\): its certificate CHANGED: /,
    );
    expect(refused.stderr.lines[0]).toContain(first.fingerprint);
    expect(refused.stderr.lines[0]).toContain(renewed.fingerprint);

    // Trusting the new one on purpose re-pins it.
    const accepted = await say(first.port, 'hi', [
      '--tls',
      '--data-dir',
      clientDir,
      '--fingerprint',
      renewed.fingerprint,
    ]);
    expect(accepted.exitInfo?.code).toBe(0);
    expect(accepted.stderr.text).toMatch(/showed the certificate of --fingerprint; pinned it in /);
    expect(accepted.stderr.text).not.toMatch(/first connection/);
    expect((await say(first.port, 'hi', ['--tls', '--data-dir', clientDir])).exitInfo?.code).toBe(0);
  });

  it('with --fingerprint, refuses any other certificate', async () => {
    const { port, fingerprint } = await startTlsRoom(['--data-dir', temp()]);
    const wrong = `SHA256:${randomBytes(32).toString('base64').replace(/=+$/, '')}`;
    const refused = await say(port, 'hi', ['--tls', '--data-dir', temp(), '--fingerprint', wrong]);
    expect(refused.exitInfo?.code).toBe(1);
    expect(refused.stderr.lines).toEqual([
      `rocket: Cannot connect to 127.0.0.1:${port} (tls): its certificate is ${fingerprint}, not the ${wrong} given with --fingerprint; someone may be intercepting the connection`,
    ]);
  });

  it('tells nc on the TLS port to use --tls, logs one line, and keeps serving TLS clients', async () => {
    const { room, port } = await startTlsRoom(['--data-dir', temp(), '--json']);
    const nc = spawnPeer('nc', ['127.0.0.1', String(port)], { name: 'nc' });
    await nc.write('/nick peppa\n');
    await nc.stdout.waitFor(/^rocket: this port speaks TLS; use rocket connect --tls$/);
    await room.stderr.waitFor(/^rocket: 127\.0\.0\.1:\d+ spoke plain text to the TLS port; closed$/);
    nc.endInput();
    await nc.waitExit(5000);

    const peppa = await say(port, 'still open', ['--tls', '--data-dir', temp(), '--nick', 'peppa']);
    expect(peppa.exitInfo?.code).toBe(0);
    await room.stdout.waitForJson((e) => e.type === 'message' && e.text === 'still open');
  });

  it('gives connect --tls to a plain room one clear line and exit 1; the room goes on', async () => {
    const room = spawnCli(['listen', '0', '--host', '127.0.0.1', '--no-store', '--json']);
    const port = Number(LISTENING.exec(await room.stderr.waitFor(LISTENING))![1]);
    const peppa = await say(port, 'hi', ['--tls', '--data-dir', temp()]);
    expect(peppa.exitInfo?.code).toBe(1);
    expect(peppa.stderr.lines).toEqual([
      `rocket: Cannot connect to 127.0.0.1:${port} (tls): 127.0.0.1:${port} does not speak TLS (is it a plain rocket room? leave out --tls)`,
    ]);
    const plain = await say(port, 'plain is fine', ['--nick', 'george']);
    expect(plain.exitInfo?.code).toBe(0);
    await room.stdout.waitForJson((e) => e.type === 'message' && e.text === 'plain is fine');
    expect(room.stdout.json().filter((e) => e.type === 'message')).toHaveLength(1);
  });

  it('tells nc on a raw TLS pipe to use --raw --tls, which a chat client could not', async () => {
    const receiver = spawnCli([
      'listen',
      '0',
      '--host',
      '127.0.0.1',
      '--raw',
      '--tls',
      '--keep-open',
      '--data-dir',
      temp(),
    ]);
    const port = Number(LISTENING.exec(await receiver.stderr.waitFor(LISTENING))![1]);
    const nc = spawnPeer('nc', ['127.0.0.1', String(port)], { name: 'nc' });
    await nc.write('hello\n');
    await nc.stdout.waitFor(/^rocket: this port speaks TLS; use rocket connect --raw --tls$/);
    nc.endInput();
    await nc.waitExit(5000);
  });

  it('moves a file exactly in raw mode over TLS', async () => {
    const payload = randomBytes(2 * 1024 * 1024 + 3);
    const receiver = spawnCli(['listen', '0', '--host', '127.0.0.1', '--raw', '--tls', '--data-dir', temp()]);
    receiver.endInput(); // nothing to send back: its FIN goes once the connection is up
    const port = Number(LISTENING.exec(await receiver.stderr.waitFor(LISTENING))![1]);
    const fingerprint = FINGERPRINT.exec(await receiver.stderr.waitFor(FINGERPRINT))![1]!;
    const sender = spawnCli([
      'connect',
      '127.0.0.1',
      String(port),
      '--raw',
      '--tls',
      '--fingerprint',
      fingerprint,
    ]);
    await sender.write(payload);
    sender.endInput();
    expect(await sender.waitExit(10_000)).toEqual({ code: 0, signal: null });
    expect(await receiver.waitExit(10_000)).toEqual({ code: 0, signal: null });
    expect(receiver.stdout.bytes.length).toBe(payload.length);
    expect(sha256(receiver.stdout.bytes)).toBe(sha256(payload));
  });

  it('verifies a real certificate with --ca, without known_hosts, and refuses another CA', async () => {
    const dir = temp();
    const ca = await createTestCa();
    const issued = await ca.issue({ commonName: 'room.test', names: ['localhost', '127.0.0.1'] });
    const { port } = await startTlsRoom([
      '--cert',
      writePem(dir, 'room.pem', issued.cert),
      '--key',
      writePem(dir, 'room-key.pem', issued.key),
    ]);
    const clientDir = temp();
    const ok = await say(port, 'hi', [
      '--tls',
      '--ca',
      writePem(dir, 'ca.pem', ca.cert),
      '--data-dir',
      clientDir,
    ]);
    expect(ok.exitInfo?.code).toBe(0);
    expect(ok.stderr.text).toBe('');
    expect(existsSync(join(clientDir, 'known_hosts'))).toBe(false);

    const other = await createTestCa('another CA');
    const refused = await say(port, 'hi', ['--tls', '--ca', writePem(dir, 'other.pem', other.cert)]);
    expect(refused.exitInfo?.code).toBe(1);
    expect(refused.stderr.lines).toEqual([
      expect.stringMatching(
        /^rocket: Cannot connect to 127\.0\.0\.1:\d+ \(tls\): its certificate is not signed by a CA you trust/,
      ),
    ]);
  });
});

describe('TLS usage errors', () => {
  it.each([
    [
      ['listen', '--tls', '--udp'],
      'cannot use --tls with --udp: TLS needs TCP, and nothing over UDP is encrypted',
    ],
    [
      ['connect', 'localhost', '--tls', '--udp'],
      'cannot use --tls with --udp: TLS needs TCP, and nothing over UDP is encrypted',
    ],
    [
      ['listen', '--tls', '--udp', '--raw'],
      'cannot use --tls with --udp: TLS needs TCP, and nothing over UDP is encrypted',
    ],
    [
      ['listen', '--tls', '--cert', 'c.pem'],
      '--cert and --key go together: the certificate and its private key',
    ],
    [['connect', 'localhost', '--fingerprint', `SHA256:${'A'.repeat(43)}`], '--fingerprint goes with --tls'],
  ])('rocket %j exits 2: %s', async (args, message) => {
    const { exit, stderr } = await runCli(args);
    expect(exit.code).toBe(2);
    expect(stderr).toBe(`rocket: ${message}\n`);
  });

  it('rejects a fingerprint that is not one', async () => {
    const { exit, stderr } = await runCli(['connect', 'localhost', '--tls', '--fingerprint', 'AB:CD']);
    expect(exit.code).toBe(2);
    expect(stderr).toMatch(/^rocket: .*"AB:CD" is not a certificate fingerprint/);
  });

  it('reports a missing --ca file in one line, exit 1, before connecting', async () => {
    const { exit, stderr } = await runCli([
      'connect',
      '127.0.0.1',
      '9',
      '--tls',
      '--ca',
      '/nonexistent/ca.pem',
    ]);
    expect(exit.code).toBe(1);
    expect(stderr).toBe('rocket: Cannot read the CA certificate /nonexistent/ca.pem: no such file\n');
  });

  it.each(['listen', 'connect'])('%s --help says that nothing over UDP is encrypted', async (command) => {
    const { exit, stdout } = await runCli([command, '--help']);
    expect(exit.code).toBe(0);
    expect(stdout).toMatch(/--tls/);
    expect(stdout.replace(/\s+/g, ' ')).toContain('nothing over UDP is encrypted');
  });
});

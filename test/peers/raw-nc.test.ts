import { createReadStream, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { killAll, sha256File, startProc, startRocket } from '../helpers/raw-procs.js';
import { randomPayload, sha256 } from '../helpers/raw-streams.js';
import { assertCliBuilt } from '../helpers/spawn-cli.js';

/**
 * rocket --raw against the real thing: OpenBSD netcat (Debian's netcat-openbsd), with a
 * 50 MB random file in each direction. nc -l is started on port 0 with -v, which prints
 * "Listening on 127.0.0.1 PORT", and rocket prints "Listening on 127.0.0.1 PORT (tcp)": both
 * are waited for, never slept on.
 */
const NC = '/usr/bin/nc';
const SIZE = 50 * 1024 * 1024;

describe.skipIf(!existsSync(NC))('rocket --raw with OpenBSD nc', () => {
  let dir: string;
  let file: string;
  let fileSha: string;

  beforeAll(() => {
    assertCliBuilt();
    dir = mkdtempSync(join(tmpdir(), 'rocket-raw-nc-'));
    file = join(dir, 'random.bin');
    const payload = randomPayload(SIZE);
    fileSha = sha256(payload);
    writeFileSync(file, payload);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(killAll);

  it('rocket connect --raw < file sends it byte for byte to nc -l', async () => {
    const out = join(dir, 'nc-got.bin');
    const nc = startProc(NC, ['-lvn', '127.0.0.1', '0'], 'ignore', { file: out });
    const [, port] = await nc.waitForStderr(/Listening on 127\.0\.0\.1 (\d+)/);
    const rocket = startRocket(['connect', '--raw', '127.0.0.1', port!], { file }, 'ignore');
    // rocket's FIN ends nc; nc's close ends rocket.
    expect(await rocket.waitForExit()).toMatchObject({ code: 0 });
    expect(await nc.waitForExit()).toMatchObject({ code: 0 });
    expect(await sha256File(out)).toBe(fileSha);
  });

  it('cat file | rocket connect --raw sends it byte for byte to nc -l', async () => {
    const out = join(dir, 'nc-got-piped.bin');
    const nc = startProc(NC, ['-lvn', '127.0.0.1', '0'], 'ignore', { file: out });
    const [, port] = await nc.waitForStderr(/Listening on 127\.0\.0\.1 (\d+)/);
    // stdin is a pipe this time: rocket reads it through its own reused-buffer reader.
    const rocket = startRocket(['connect', '--raw', '127.0.0.1', port!], 'pipe', 'ignore');
    createReadStream(file).pipe(rocket.child.stdin!);
    expect(await rocket.waitForExit()).toMatchObject({ code: 0 });
    expect(await nc.waitForExit()).toMatchObject({ code: 0 });
    expect(await sha256File(out)).toBe(fileSha);
  });

  it('nc -N < file sends it byte for byte to rocket listen --raw', async () => {
    const out = join(dir, 'rocket-got.bin');
    const rocket = startRocket(['listen', '--raw', '0', '--host', '127.0.0.1'], 'ignore', { file: out });
    const [, port] = await rocket.waitForStderr(/Listening on 127\.0\.0\.1 (\d+) \(tcp\)/);
    const nc = startProc(NC, ['-N', '127.0.0.1', port!], { file }, 'ignore');
    expect(await nc.waitForExit()).toMatchObject({ code: 0 });
    expect(await rocket.waitForExit()).toMatchObject({ code: 0 });
    expect(await sha256File(out)).toBe(fileSha);
  });

  it('rocket connect --raw receives a file from nc -l, and sends after nc half-closes', async () => {
    const nc = startProc(NC, ['-lvnN', '127.0.0.1', '0'], { file }, 'pipe', true);
    const [, port] = await nc.waitForStderr(/Listening on 127\.0\.0\.1 (\d+)/);
    const rocket = startRocket(['connect', '--raw', '127.0.0.1', port!], 'pipe', 'pipe');
    // nc -N sends its FIN after the file; rocket's stdin is still open, so it keeps its
    // sending half open (half-close is symmetric) and what it sends now still arrives.
    await rocket.stdout.waitForBytes(SIZE, 20_000);
    rocket.child.stdin!.end('after your FIN\n');
    expect(await rocket.waitForExit()).toMatchObject({ code: 0 });
    expect(await nc.waitForExit()).toMatchObject({ code: 0 });
    expect(rocket.stdout.digest()).toBe(fileSha);
    expect(nc.stdout.text()).toBe('after your FIN\n');
  });

  it('rocket listen --raw < file keeps sending after nc -N half-closes at once', async () => {
    const rocket = startRocket(['listen', '--raw', '0', '--host', '127.0.0.1'], { file }, 'ignore');
    const [, port] = await rocket.waitForStderr(/Listening on 127\.0\.0\.1 (\d+) \(tcp\)/);
    // nc's stdin is empty: with -N its FIN goes out before rocket has sent anything.
    const nc = startProc(NC, ['-N', '127.0.0.1', port!], 'ignore', 'pipe');
    expect(await rocket.waitForExit()).toMatchObject({ code: 0 });
    expect(await nc.waitForExit()).toMatchObject({ code: 0 });
    expect(nc.stdout.digest()).toBe(fileSha);
  });

  it('rocket connect --udp --raw trades datagrams with nc -u -l', async () => {
    const nc = startProc(NC, ['-ulvn', '127.0.0.1', '0'], 'pipe', 'pipe', true);
    const [, port] = await nc.waitForStderr(/Bound on 127\.0\.0\.1 (\d+)/);
    const rocket = startRocket(
      ['connect', '--udp', '--raw', '-q', '0', '127.0.0.1', port!],
      'pipe',
      'pipe',
      true,
    );
    rocket.child.stdin!.write('hello nc\n');
    await nc.stdout.waitForText('hello nc\n');
    nc.child.stdin!.write('hello rocket\n'); // nc -u -l answers the peer it heard from
    await rocket.stdout.waitForText('hello rocket\n');
    rocket.child.stdin!.end(); // -q 0: done once the input is sent
    expect(await rocket.waitForExit()).toMatchObject({ code: 0 });
  });
});

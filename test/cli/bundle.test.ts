import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { VERSION } from '../../src/version.js';

/** The bundled CLI that `rocket` (package.json "bin") runs. */
const BUNDLE = fileURLToPath(new URL('../../dist/rocket.mjs', import.meta.url));
const run = promisify(execFile);
const dataDir = mkdtempSync(join(tmpdir(), 'rocket-bundle-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/** Starts `rocket listen` from the bundle and resolves with its port once it listens. */
function listen(args: string[]): Promise<{ port: number; stop: () => void }> {
  const child = spawn(process.execPath, [BUNDLE, 'listen', '0', '--host', '127.0.0.1', ...args], {
    env: { ...process.env, XDG_DATA_HOME: dataDir },
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let err = '';
    const timer = setTimeout(() => reject(new Error(`no Listening line: ${err}`)), 10_000);
    child.stderr.on('data', (d) => {
      err += d;
      const m = /Listening on \S+ (\d+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve({ port: Number(m[1]), stop: () => child.kill('SIGTERM') });
      }
    });
  });
}

describe('the bundled CLI (dist/rocket.mjs)', () => {
  it('prints its version and reads the shipped IANA table', async () => {
    expect((await run(process.execPath, [BUNDLE, '--version'])).stdout.trim()).toBe(VERSION);
    expect((await run(process.execPath, [BUNDLE, 'port', '22'])).stdout).toMatch(/ssh/);
  });

  it('runs a room with its letter store, and TLS with a certificate it makes', async () => {
    const room = await listen(['--tls', '--data-dir', dataDir]);
    try {
      const env = { ...process.env, XDG_DATA_HOME: dataDir };
      const sent = await run(
        process.execPath,
        [BUNDLE, 'send', `127.0.0.1:${room.port}`, '--to', 'nobody', '--tls', 'hello'],
        { env },
      ).catch((err: { code: number; stderr: string }) => err);
      // The TLS handshake and the store worked: the room answered that "nobody" is unknown.
      expect((sent as { stderr: string }).stderr).toMatch(/nobody called nobody/);
    } finally {
      room.stop();
    }
  });
});

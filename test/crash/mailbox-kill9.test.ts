import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { connectChat } from '../../src/client/chat-client.js';
import type { ChatEvent } from '../../src/protocol/events.js';
import { type RunningCli, startCli, stopAllClis } from '../helpers/spawn-cli.js';
import { waitUntil } from '../helpers/wait.js';

const dataDir = mkdtempSync(join(tmpdir(), 'rocket-crash-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
afterEach(() => stopAllClis());

async function startRoom(): Promise<{ cli: RunningCli; port: number }> {
  const cli = startCli(['listen', '0', '--host', '127.0.0.1', '--data-dir', dataDir]);
  const match = await cli.waitForStderr(/Listening on \S+ (\d+)/, 10_000);
  return { cli, port: Number(match[1]) };
}

/** Sends letters from `senders` clients, `window` in flight each, until told to stop or `limit` each. */
async function flood(port: number, senders: number, limit: number, stop: () => boolean) {
  const confirmed = new Set<string>();
  const attempted = new Set<string>();
  await Promise.all(
    Array.from({ length: senders }, async (_, s) => {
      const client = await connectChat({ host: '127.0.0.1', port, nick: `sender${s}` });
      const inFlight = new Set<Promise<void>>();
      for (let i = 0; i < limit && !stop() && client.mode !== 'closed'; i++) {
        const text = `s${s}-${i}`;
        attempted.add(text);
        const p: Promise<void> = client
          .sendLetter('george', text)
          .then(() => void confirmed.add(text))
          .catch(() => {})
          .finally(() => inFlight.delete(p));
        inFlight.add(p);
        if (inFlight.size >= 50) await Promise.race(inFlight);
      }
      await Promise.all(inFlight);
      client.destroy();
    }),
  );
  return { confirmed, attempted };
}

async function pickUp(port: number): Promise<string[]> {
  const client = await connectChat({ host: '127.0.0.1', port, nick: 'george', password: 'crash-proof' });
  const events: ChatEvent[] = [];
  client.on('event', (e) => events.push(e));
  await waitUntil(client, 'event', () => events.some((e) => e.type === 'inbox-end'), 20_000, 'the inbox');
  client.quit();
  await client.closed;
  return events.filter((e) => e.type === 'message' && e.stored).map((e) => (e as { text: string }).text);
}

describe('letters survive kill -9 of the room', () => {
  it('delivers every letter confirmed as stored exactly once, after a crash at a random moment', async () => {
    const first = await startRoom();
    const george = await connectChat({
      host: '127.0.0.1',
      port: first.port,
      nick: 'george',
      password: 'crash-proof',
    });
    await george.loggedIn();
    george.quit();
    await george.closed;
    let room = first;

    for (let round = 0; round < 3; round++) {
      let killed = false;
      const killAfterMs = 150 + Math.floor(Math.random() * 400);
      const killer = setTimeout(() => {
        killed = true;
        room.cli.child.kill('SIGKILL');
      }, killAfterMs);
      const { confirmed, attempted } = await flood(room.port, 4, 3000, () => killed);
      clearTimeout(killer);
      if (!killed) room.cli.child.kill('SIGKILL');
      await room.cli.waitForExit(5000).catch(() => {});
      expect(confirmed.size).toBeGreaterThan(0);

      room = await startRoom();
      const received = await pickUp(room.port);
      const unique = new Set(received);
      expect(unique.size).toBe(received.length); // nothing twice
      const lost = [...confirmed].filter((text) => !unique.has(text));
      expect(lost).toEqual([]); // nothing confirmed is missing
      const invented = received.filter((text) => !attempted.has(text));
      expect(invented).toEqual([]); // nothing that was never sent
      // and the inbox is empty once picked up
      expect(await pickUp(room.port)).toEqual([]);
    }
    await room.cli.stop('SIGTERM');
  }, 90_000);
});

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../src/store/memory-store.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { damageMiddle } from '../helpers/damage.js';
import { mailStoreContract } from './mail-store.contract.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'rocket-store-'));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

mailStoreContract('memory', async () => ({ store: new MemoryStore() }));
mailStoreContract('sqlite', async () => {
  const dir = tempDir();
  return { store: SqliteStore.open(dir), reopen: async () => SqliteStore.open(dir) };
});

describe('sqlite store failures', () => {
  it('refuses a second room on the same folder with a clear reason', () => {
    const dir = tempDir();
    const first = SqliteStore.open(dir);
    expect(() => SqliteStore.open(dir)).toThrow(/locked, probably by another rocket listen/);
    void first.close();
  });

  it('says so when the file is damaged, and leaves it in place', () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, 'rocket.db'),
      'this is not a database, just some text that is long enough'.repeat(100),
    );
    expect(() => SqliteStore.open(dir)).toThrow(/damaged or not a rocket store/);
  });

  it('confirms nothing once its file is deleted under it (every such write would be lost)', async () => {
    const dir = tempDir();
    const store = SqliteStore.open(dir);
    const letter = (id: string) => ({ id, from: 'peppa', to: 'george', text: 'hello', ts: Date.now() });
    expect(await store.put(letter('a'), 'peppa', 'george')).toBe('stored');
    rmSync(join(dir, 'rocket.db'));
    await expect(store.put(letter('b'), 'peppa', 'george')).rejects.toThrow(
      /file was deleted or replaced while the room ran/,
    );
    await expect(store.createAccount('bob', { nick: 'bob', secretHash: 'x', createdAt: 0 })).rejects.toThrow(
      /deleted or replaced/,
    );
    await store.close();
  });

  it('names a page damaged after start when it is read, in words that say what to do', async () => {
    const dir = tempDir();
    const store = SqliteStore.open(dir);
    const text = 'a letter long enough to fill pages '.repeat(20);
    await Promise.all(
      Array.from({ length: 2000 }, (_, i) =>
        store.put({ id: `l${i}`, from: 'peppa', to: 'george', text, ts: Date.now() }, 'peppa', 'george'),
      ),
    );
    await store.close();
    damageMiddle(join(dir, 'rocket.db'));
    const again = SqliteStore.open(dir); // the header and schema pages are whole
    await expect(again.pending('george', 0, 5000)).rejects.toThrow(/damaged or not a rocket store/);
    await again.close();
  });

  it('says so when the folder cannot be created', () => {
    const file = join(tempDir(), 'a-file');
    writeFileSync(file, 'x');
    expect(() => SqliteStore.open(join(file, 'sub'))).toThrow(/Cannot open the letter store/);
  });
});

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../src/store/memory-store.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
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

  it('says so when the folder cannot be created', () => {
    const file = join(tempDir(), 'a-file');
    writeFileSync(file, 'x');
    expect(() => SqliteStore.open(join(file, 'sub'))).toThrow(/Cannot open the letter store/);
  });
});

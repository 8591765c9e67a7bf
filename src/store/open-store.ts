import type { MailStore } from './mail-store.js';
import { MemoryStore } from './memory-store.js';

export interface OpenStoreOptions {
  /** Keep letters in memory only (`--no-store`). */
  memory?: boolean;
  /** Folder of the SQLite file; default the platform's per-user data folder. */
  dataDir?: string;
  /** File name inside the folder; default rocket.db. */
  fileName?: string;
}

/**
 * Opens the letter store. The SQLite driver is a native module, loaded only here and only
 * when a durable store is wanted, so commands that never store start fast.
 */
export async function openStore(options: OpenStoreOptions = {}): Promise<MailStore> {
  if (options.memory) return new MemoryStore();
  const [{ SqliteStore }, { defaultDataDir }] = await Promise.all([
    import('./sqlite-store.js'),
    import('./data-dir.js'),
  ]);
  return SqliteStore.open(options.dataDir ?? defaultDataDir(), options.fileName);
}

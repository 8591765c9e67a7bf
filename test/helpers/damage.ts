import { randomBytes } from 'node:crypto';
import { closeSync, openSync, statSync, writeSync } from 'node:fs';

/**
 * Overwrites the middle half of a file with random bytes, in place, as a failing disk
 * would: the first pages (SQLite's header and schema) stay whole, so the damage shows only
 * when the pages behind them are read.
 */
export function damageMiddle(file: string): void {
  const size = statSync(file).size;
  const length = Math.floor(size / 2);
  const fd = openSync(file, 'r+');
  try {
    writeSync(fd, randomBytes(length), 0, length, Math.floor(size / 4));
  } finally {
    closeSync(fd);
  }
}

import { mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/**
 * `mkdir -p` that always ends, with plain reasons. Node 20's `mkdirSync(path, { recursive:
 * true })` spins for ever where the kernel answers ENOENT for a directory whose parent exists
 * (`--data-dir /proc/nope`: 98 % CPU, no output); here each missing level is made once, and
 * the first refusal is thrown, in words ("/etc/hostname is a file, not a folder").
 */
export function makeDirSync(path: string, mode: number): void {
  const target = resolve(path);
  const missing: string[] = [];
  for (let dir = target; ; dir = dirname(dir)) {
    try {
      mkdirSync(dir, { mode });
      break;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') break;
      if (code !== 'ENOENT' || dirname(dir) === dir) throw plainly(err, dir);
      missing.push(dir);
    }
  }
  // Made from the top down; a level that still cannot be made is the error to show.
  for (const dir of missing.reverse()) {
    try {
      mkdirSync(dir, { mode });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw plainly(err, dir);
    }
  }
  if (!statSync(target).isDirectory()) throw new Error(`${target} is a file, not a folder`);
}

function plainly(err: unknown, dir: string): Error {
  const code = (err as NodeJS.ErrnoException).code;
  const reason =
    code === 'EACCES' || code === 'EPERM'
      ? `no permission to create ${dir}`
      : code === 'ENOTDIR'
        ? `${dirname(dir)} is a file, not a folder`
        : code === 'EROFS'
          ? `${dir} is on a read-only file system`
          : code === 'ENOENT'
            ? `${dir} cannot be created there`
            : (err as Error).message;
  return new Error(reason, { cause: err });
}

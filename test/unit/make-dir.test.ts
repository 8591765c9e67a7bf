import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeDirSync } from '../../src/make-dir.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'rocket-mkdir-'));
  dirs.push(dir);
  return dir;
}

describe('makeDirSync', () => {
  it('makes every missing level, owner-only, and accepts one that exists', () => {
    const top = scratch();
    const deep = join(top, 'a', 'b', 'c');
    makeDirSync(deep, 0o700);
    makeDirSync(deep, 0o700);
    expect(statSync(deep).isDirectory()).toBe(true);
    expect(statSync(join(top, 'a')).mode & 0o777).toBe(0o700);
  });

  it('says a file is in the way, in words', () => {
    const file = join(scratch(), 'taken');
    writeFileSync(file, 'x');
    expect(() => makeDirSync(file, 0o700)).toThrow(/taken is a file, not a folder/);
    expect(() => makeDirSync(join(file, 'below'), 0o700)).toThrow(/taken is a file, not a folder/);
  });

  it('gives up where the kernel will not make it (Node 20 spins for ever on /proc)', () => {
    expect(() => makeDirSync('/proc/rocket-test/x', 0o700)).toThrow(/cannot be created there/);
  });
});

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../../src', import.meta.url));

function importsOf(folder: string): Array<{ file: string; from: string }> {
  const found: Array<{ file: string; from: string }> = [];
  for (const name of readdirSync(join(SRC, folder))) {
    if (!name.endsWith('.ts')) continue;
    const text = readFileSync(join(SRC, folder, name), 'utf8');
    for (const match of text.matchAll(/^import[^'"]*['"]([^'"]+)['"]/gm)) {
      found.push({ file: `${folder}/${name}`, from: match[1]! });
    }
  }
  return found;
}

describe('the architecture', () => {
  it.each(['chat', 'protocol'])(
    'keeps %s/ free of sockets: no node:net, node:dgram, node:tls or transport code',
    (folder) => {
      const offending = importsOf(folder).filter(
        ({ from }) =>
          /^node:(net|dgram|tls)$/.test(from) ||
          (from.includes('/transport/') && !from.endsWith('/transport/types.js')),
      );
      expect(offending).toEqual([]);
    },
  );

  it('keeps protocol/ pure: it imports nothing from the layers above it', () => {
    const offending = importsOf('protocol').filter(({ from }) =>
      /\/(chat|server|client|cli|store|raw)\//.test(from),
    );
    expect(offending).toEqual([]);
  });
});

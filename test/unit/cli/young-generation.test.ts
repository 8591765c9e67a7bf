import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const MODULE = fileURLToPath(new URL('../../../dist/cli/young-generation.js', import.meta.url));
const run = promisify(execFile);

/**
 * A burst of objects that survive, spread over event-loop turns like a burst of joins, in a
 * Node process of its own (V8 flags are process-wide); prints new space's size in MiB.
 */
async function newSpaceAfterBurst(limit: boolean): Promise<number> {
  const script = `
    import v8 from 'node:v8';
    import { limitYoungGeneration } from ${JSON.stringify(MODULE)};
    if (${limit}) limitYoungGeneration(8);
    const kept = [];
    await new Promise((done) => {
      const turn = () => {
        for (let i = 0; i < 2000; i++) kept.push({ n: kept.length, name: 'guest-' + kept.length });
        if (kept.length < 1_000_000) setImmediate(turn); else done();
      };
      turn();
    });
    const space = v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
    console.log(space.space_size / 1048576);
  `;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script]);
  return Number(stdout.trim());
}

describe('limitYoungGeneration (the room process)', () => {
  it('keeps new space at 8 MiB through a burst that grows it past that by default', async () => {
    const [grown, limited] = await Promise.all([newSpaceAfterBurst(false), newSpaceAfterBurst(true)]);
    expect(grown).toBeGreaterThan(8);
    expect(limited).toBeGreaterThan(0);
    expect(limited).toBeLessThanOrEqual(8);
  }, 30_000);
});

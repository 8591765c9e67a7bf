import readline from 'node:readline';
import type { Readable } from 'node:stream';

/** Every line of a stream (stdin), without line endings; blank lines are skipped. */
export async function readInputLines(input: Readable): Promise<string[]> {
  const lines: string[] = [];
  const rl = readline.createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  for await (const line of rl) if (line.trim() !== '') lines.push(line);
  return lines;
}

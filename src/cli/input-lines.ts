import type { Readable } from 'node:stream';
import { createTextDecoder } from '../protocol/codec.js';
import { LineSplitter } from '../protocol/line-splitter.js';

export interface InputLineHandlers {
  onLine: (line: string) => void;
  /** A line longer than the limit was dropped (never sent). */
  onOverflow: (chars: number) => void;
  onEnd: () => void;
}

/**
 * Lines from piped input with a cap on their length, so `rocket listen < /dev/zero` refuses
 * the endless line instead of growing one string until the process dies. The text after
 * the last newline counts as a line at the end of input.
 */
export function readCappedLines(input: Readable, maxLineChars: number, handlers: InputLineHandlers): void {
  const decoder = createTextDecoder('utf-8');
  const splitter = new LineSplitter(maxLineChars);
  const take = (text: string): void => {
    const { lines, overflows } = splitter.push(text);
    for (const chars of overflows) handlers.onOverflow(chars);
    for (const line of lines) handlers.onLine(line);
  };
  input.on('data', (chunk: Buffer) => take(decoder.write(chunk)));
  input.on('end', () => {
    take(decoder.end());
    const last = splitter.takePending();
    if (last !== undefined) handlers.onLine(last);
    handlers.onEnd();
  });
  input.on('error', () => handlers.onEnd());
}

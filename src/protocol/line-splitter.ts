/**
 * Splits decoded text into lines. A line ends at "\n" (a preceding "\r" is dropped), so
 * it works for nc, telnet (CRLF) and Windows clients alike. Text without a newline waits
 * in `pending` until the next chunk or until the owner decides it is complete (a plain
 * client that stops typing without pressing Enter, like the tutorial's).
 *
 * A line longer than `maxLineChars` is not kept: the splitter reports it once, as soon as
 * it passes the limit (so the sender hears at once, even if no newline ever comes), and
 * drops everything up to the next newline, so memory stays flat.
 */
export interface SplitResult {
  lines: string[];
  /** Lines dropped for being too long: their length when they passed the limit (or in all). */
  overflows: number[];
}

export class LineSplitter {
  private pending = '';
  private discarding = false;
  private discardedChars = 0;

  constructor(private readonly maxLineChars = 64 * 1024) {}

  push(text: string): SplitResult {
    const result: SplitResult = { lines: [], overflows: [] };
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl === -1) break;
      const piece = text.slice(start, nl);
      if (this.discarding) {
        // Reported when the limit was passed; the rest of it just goes.
        this.discarding = false;
        this.discardedChars = 0;
      } else {
        const line = this.pending + piece;
        this.pending = '';
        if (line.length > this.maxLineChars) result.overflows.push(line.length);
        else result.lines.push(line.endsWith('\r') ? line.slice(0, -1) : line);
      }
      start = nl + 1;
    }
    const rest = text.slice(start);
    if (this.discarding) {
      this.discardedChars += rest.length;
    } else if (this.pending.length + rest.length > this.maxLineChars) {
      this.discarding = true;
      this.discardedChars = this.pending.length + rest.length;
      result.overflows.push(this.discardedChars);
      this.pending = '';
    } else {
      this.pending += rest;
    }
    return result;
  }

  /** Text received since the last newline. */
  get pendingText(): string {
    return this.pending;
  }

  /** True while dropping the tail of an over-long line. */
  get isDiscarding(): boolean {
    return this.discarding;
  }

  /** Hands out the text without a newline as a line of its own. */
  takePending(): string | undefined {
    if (this.pending === '') return undefined;
    const line = this.pending.endsWith('\r') ? this.pending.slice(0, -1) : this.pending;
    this.pending = '';
    return line;
  }
}

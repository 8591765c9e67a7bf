import readline from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { ChatEvent } from '../protocol/events.js';
import { renderEvent } from '../protocol/render.js';
import { sanitizeText } from '../protocol/sanitize.js';
import { readCappedLines } from './input-lines.js';

/** The longest line read from piped input; the room refuses longer messages anyway. */
const MAX_INPUT_LINE_CHARS = 64 * 1024;

export interface ChatConsoleOptions {
  input: Readable & { isTTY?: boolean };
  output: Writable & { isTTY?: boolean };
  /** One JSON object per event per line, for scripts. */
  json: boolean;
  /** What the prompt shows, asked again at each redraw (the nick can change). */
  prompt: () => string;
  /** A line the person typed (or piped). */
  onLine: (line: string) => void;
  /** The end of input: Ctrl-D, or the end of a pipe. */
  onEnd: () => void;
  /** Ctrl-C at the prompt. */
  onInterrupt: () => void;
}

/**
 * The person's side of a chat: lines in, events out. On a terminal, an arriving message
 * is printed above the line being typed and the prompt is redrawn below it, so typing is
 * never garbled. Piped, every input line is a message and output is plain lines.
 */
export class ChatConsole {
  private rl: readline.Interface | undefined;
  private readonly interactive: boolean;
  private ended = false;

  constructor(private readonly options: ChatConsoleOptions) {
    this.interactive = Boolean(options.input.isTTY && options.output.isTTY) && !options.json;
    if (!this.interactive) {
      // Piped input: each line is a message, with a cap so an endless line cannot exhaust memory.
      readCappedLines(options.input, MAX_INPUT_LINE_CHARS, {
        onLine: options.onLine,
        onOverflow: (chars) =>
          this.note(`a line of ${chars} characters was not sent: the limit is ${MAX_INPUT_LINE_CHARS}`),
        onEnd: () => {
          if (this.ended) return;
          this.ended = true;
          options.onEnd();
        },
      });
      return;
    }
    const rl = readline.createInterface({
      input: options.input,
      output: options.output,
      terminal: true,
      prompt: options.prompt(),
      crlfDelay: Number.POSITIVE_INFINITY,
    });
    this.rl = rl;
    rl.on('line', (line) => {
      options.onLine(line);
      this.refreshPrompt();
    });
    rl.on('close', () => {
      if (this.ended) return;
      this.ended = true;
      options.onEnd();
    });
    rl.on('SIGINT', () => options.onInterrupt());
    rl.prompt();
  }

  show(event: ChatEvent): void {
    if (this.options.json) {
      this.print(JSON.stringify(event));
      return;
    }
    const text = renderEvent(event);
    if (text !== undefined) this.print(sanitizeText(text));
  }

  /** A note from rocket itself (not from the peer). */
  note(text: string): void {
    if (this.options.json) this.print(JSON.stringify({ type: 'info', text }));
    else this.print(`*** ${text}`);
  }

  refreshPrompt(): void {
    if (!this.interactive || this.ended) return;
    this.rl?.setPrompt(this.options.prompt());
    this.rl?.prompt(true);
  }

  close(): void {
    this.ended = true;
    if (this.interactive) this.options.output.write('\n');
    this.rl?.close();
  }

  /** A diagnostic for the person at this terminal, on stderr, without breaking the prompt. */
  warn(text: string): void {
    this.print(`rocket: ${text}`, process.stderr);
  }

  private print(line: string, stream: NodeJS.WritableStream = this.options.output): void {
    if (!this.interactive || this.rl === undefined) {
      stream.write(`${line}\n`);
      return;
    }
    // Clear the half-typed input (it may wrap over several rows), print above it, then
    // redraw the prompt and what was typed.
    const out = this.options.output;
    const rows = this.rl.getCursorPos().rows;
    readline.moveCursor(out, 0, -rows);
    readline.cursorTo(out, 0);
    readline.clearScreenDown(out);
    stream.write(`${line}\n`);
    // readline redraws by first moving up `prevRows` (where it last left the cursor in a
    // wrapped input; stale after a paste). The cursor is already where the prompt belongs.
    (this.rl as unknown as { prevRows: number }).prevRows = 0;
    if (!this.ended) this.rl.prompt(true);
  }
}

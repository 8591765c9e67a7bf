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
  /**
   * Gather the lines printed in one event-loop turn into one write when the output is
   * not a terminal (a terminal always shows each line at once). For a busy room's own
   * display: one write per message was a syscall per datagram.
   */
  batchOutput?: boolean;
}

/** A batch is written out early once it is this long, so a busy turn cannot grow it without bound. */
const MAX_BATCH_CHARS = 64 * 1024;

/**
 * The person's side of a chat: lines in, events out. On a terminal, an arriving message
 * is printed above the line being typed and the prompt is redrawn below it, so typing is
 * never garbled. Piped, every input line is a message and output is plain lines.
 */
export class ChatConsole {
  private rl: readline.Interface | undefined;
  private readonly interactive: boolean;
  private ended = false;
  private readonly batching: boolean;
  /** Lines printed this turn and not yet written (batching only). */
  private batch = '';
  private flushScheduled = false;
  /** close() was called (`ended` alone may only mean that piped input ran out). */
  private closed = false;
  private readonly flushOnExit = (): void => this.flush();

  constructor(private readonly options: ChatConsoleOptions) {
    this.interactive = Boolean(options.input.isTTY && options.output.isTTY) && !options.json;
    this.batching = Boolean(options.batchOutput) && !options.output.isTTY;
    // process.exit() skips pending immediates; stdout to a file or pipe is written
    // synchronously, so the last lines still go out from the 'exit' handler.
    if (this.batching) process.on('exit', this.flushOnExit);
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
    if (event.type === 'message') {
      // Sanitizing works character by character, so sanitizing the parts is sanitizing the
      // line (the rest is rocket's own text); the text itself was usually just checked by
      // the room, which sanitizeText remembers.
      const line = renderEvent({
        ...event,
        from: sanitizeText(event.from),
        text: sanitizeText(event.text),
        ...(event.to === undefined ? {} : { to: sanitizeText(event.to) }),
      });
      if (line !== undefined) this.print(line);
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
    this.closed = true;
    this.flush();
    if (this.batching) process.off('exit', this.flushOnExit);
    if (this.interactive && this.rl !== undefined && this.rl.line === '') {
      // Nothing half-typed: take the prompt away rather than leave "nick> " above the shell's.
      readline.cursorTo(this.options.output, 0);
      readline.clearLine(this.options.output, 0);
    } else if (this.interactive) {
      this.options.output.write('\n');
    }
    this.rl?.close();
  }

  /** A diagnostic for the person at this terminal, on stderr, without breaking the prompt. */
  warn(text: string): void {
    this.print(`rocket: ${text}`, process.stderr);
  }

  /** Writes out the lines gathered so far (batching only). */
  flush(): void {
    if (this.batch === '') return;
    const text = this.batch;
    this.batch = '';
    this.options.output.write(text);
  }

  private print(line: string, stream: NodeJS.WritableStream = this.options.output): void {
    if (this.batching) {
      // After close() (the room's goodbye on the way out) lines go straight out.
      if (stream === this.options.output && !this.closed) {
        this.batch += `${line}\n`;
        if (this.batch.length >= MAX_BATCH_CHARS) this.flush();
        else if (!this.flushScheduled) {
          this.flushScheduled = true;
          setImmediate(() => {
            this.flushScheduled = false;
            this.flush();
          });
        }
        return;
      }
      // Another stream (stderr): what was printed before it goes first, so the two stay
      // in order when they share a file (2>&1).
      this.flush();
    }
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

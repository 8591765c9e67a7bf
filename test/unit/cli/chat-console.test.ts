import { PassThrough, Writable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ChatConsole } from '../../../src/cli/chat-console.js';
import type { MessageEvent } from '../../../src/protocol/events.js';
import { renderEvent } from '../../../src/protocol/render.js';
import { sanitizeText } from '../../../src/protocol/sanitize.js';

/** A non-terminal output (a pipe or a file) that records each write call. */
function recorder(isTTY = false): Writable & { isTTY: boolean; writes: string[] } {
  const writes: string[] = [];
  const out = new Writable({
    write(chunk: Buffer, _encoding, done) {
      writes.push(chunk.toString('utf8'));
      done();
    },
  });
  return Object.assign(out, { isTTY, writes });
}

const consoles: ChatConsole[] = [];
afterEach(() => {
  for (const c of consoles.splice(0)) c.close();
  vi.restoreAllMocks();
});

function chatConsole(output: Writable & { isTTY: boolean }, batchOutput: boolean): ChatConsole {
  const input = new PassThrough();
  input.end();
  const c = new ChatConsole({
    input,
    output,
    json: false,
    batchOutput,
    prompt: () => '> ',
    onLine: () => {},
    onEnd: () => {},
    onInterrupt: () => {},
  });
  consoles.push(c);
  return c;
}

function message(i: number): MessageEvent {
  return { type: 'message', id: `m${i}`, ts: 0, from: 'guest-2', text: `line ${i}` };
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('ChatConsole with batched output', () => {
  it('prints every line of a turn, in order, in one write once the turn is over', async () => {
    const out = recorder();
    const ui = chatConsole(out, true);
    for (let i = 0; i < 500; i++) ui.show(message(i));
    ui.note('a note');
    expect(out.writes).toEqual([]);
    await nextTurn();
    const expected = `${[...Array.from({ length: 500 }, (_, i) => `<guest-2> line ${i}`), '*** a note'].join('\n')}\n`;
    expect(out.writes).toEqual([expected]);
  });

  it('writes a long turn out in pieces, losing and reordering nothing', async () => {
    const out = recorder();
    const ui = chatConsole(out, true);
    const text = 'x'.repeat(1000);
    for (let i = 0; i < 300; i++) ui.show({ ...message(i), text: `${i} ${text}` });
    await nextTurn();
    expect(out.writes.length).toBeGreaterThan(1);
    const lines = out.writes.join('').split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toEqual(Array.from({ length: 300 }, (_, i) => `<guest-2> ${i} ${text}`));
  });

  it('writes what is pending at close, and prints lines after close at once', () => {
    const out = recorder();
    const ui = chatConsole(out, true);
    ui.show(message(1));
    ui.close();
    expect(out.writes).toEqual(['<guest-2> line 1\n']);
    ui.show({ type: 'bye', text: 'The room is closing. Goodbye' });
    expect(out.writes).toEqual(['<guest-2> line 1\n', '*** The room is closing. Goodbye\n']);
  });

  it('writes the pending lines before a warning on stderr, so 2>&1 keeps the order', () => {
    const order: string[] = [];
    const out = recorder();
    const write = out.write.bind(out);
    out.write = ((chunk: string) => {
      order.push(`out:${chunk}`);
      return write(chunk);
    }) as typeof out.write;
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      order.push(`err:${String(chunk)}`);
      return true;
    });
    const ui = chatConsole(out, true);
    ui.show(message(1));
    ui.warn('something went wrong');
    expect(order).toEqual(['out:<guest-2> line 1\n', 'err:rocket: something went wrong\n']);
  });

  it('shows each line at once on a terminal', () => {
    const out = recorder(true);
    const ui = chatConsole(out, true);
    ui.show(message(1));
    expect(out.writes).toEqual(['<guest-2> line 1\n']);
    ui.show(message(2));
    expect(out.writes).toEqual(['<guest-2> line 1\n', '<guest-2> line 2\n']);
  });

  it('without batchOutput, writes each line at once', () => {
    const out = recorder();
    const ui = chatConsole(out, false);
    ui.show(message(1));
    expect(out.writes).toEqual(['<guest-2> line 1\n']);
  });
});

describe('ChatConsole.show', () => {
  it('prints a message with terminal escapes in any part made harmless, as the whole line would be', async () => {
    const event: MessageEvent = {
      type: 'message',
      id: 'x',
      ts: 0,
      from: 'pe\u001bppa',
      to: 'geo\u0007rge',
      text: `\u001b[2J${'y'.repeat(300)}\u009b31m`,
    };
    const out = recorder();
    const ui = chatConsole(out, false);
    ui.show(event);
    ui.show({ ...event, action: true });
    await nextTurn();
    expect(out.writes).toEqual([
      `${sanitizeText(renderEvent(event)!)}\n`,
      `${sanitizeText(renderEvent({ ...event, action: true })!)}\n`,
    ]);
    expect(out.writes.join('')).not.toMatch(/[\u001b\u0007\u009b]/);
  });
});

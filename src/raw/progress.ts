import type { Writable } from 'node:stream';
import type { RelayCounters } from '../transport/relay.js';

const guarded = new WeakSet<Writable>();

function ignore(): void {}

/** At most four redraws a second: enough to look alive, too few to cost anything. */
export const PROGRESS_INTERVAL_MS = 250;

/**
 * The progress line of a raw transfer: "sent 1.2 GiB, received 0 B, 1.4 GiB/s", redrawn in
 * place with \r from a timer, then a final summary line. The relay only bumps two numbers;
 * all formatting happens here, off the data path, and the timer is unref'd so it never
 * keeps the process alive.
 */
export class ProgressLine {
  private readonly started = performance.now();
  private readonly timer: NodeJS.Timeout;
  private lastAt = this.started;
  private lastBytes = 0;
  private lastWidth = 0;
  private stopped = false;

  constructor(
    private readonly stream: Writable,
    private readonly counters: RelayCounters,
  ) {
    this.timer = setInterval(() => this.tick(), PROGRESS_INTERVAL_MS);
    this.timer.unref();
    // A closed stderr (EPIPE) must not take the transfer down with an unhandled 'error'.
    // One listener per stream, however many connections a keepOpen listener serves.
    if (!guarded.has(stream)) {
      guarded.add(stream);
      stream.on('error', ignore);
    }
  }

  /** Replaces the line with the summary and a newline. Safe to call twice. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.timer);
    const seconds = (performance.now() - this.started) / 1000;
    const { bytesSent, bytesReceived } = this.counters;
    this.draw(`${formatSummary(bytesSent, bytesReceived, seconds)}\n`);
  }

  private tick(): void {
    const now = performance.now();
    const bytes = this.counters.bytesSent + this.counters.bytesReceived;
    const rate = ((bytes - this.lastBytes) * 1000) / Math.max(now - this.lastAt, 1);
    this.lastAt = now;
    this.lastBytes = bytes;
    this.draw(
      `sent ${formatBytes(this.counters.bytesSent)}, received ${formatBytes(this.counters.bytesReceived)}, ${formatBytes(rate)}/s`,
    );
  }

  private draw(text: string): void {
    const width = text.endsWith('\n') ? text.length - 1 : text.length;
    // Pad with spaces over the tail of a longer previous line: works on terminals and files alike.
    const pad = ' '.repeat(Math.max(this.lastWidth - width, 0));
    this.lastWidth = width;
    const line = text.endsWith('\n') ? `\r${text.slice(0, -1)}${pad}\n` : `\r${text}${pad}`;
    if (!this.stream.destroyed && this.stream.writable) this.stream.write(line);
  }
}

/** "sent 1.00 GiB, received 12 B in 0.71 s (1.41 GiB/s)": the rate counts both directions. */
export function formatSummary(bytesSent: number, bytesReceived: number, seconds: number): string {
  const rate = seconds > 0 ? (bytesSent + bytesReceived) / seconds : 0;
  return `sent ${formatBytes(bytesSent)}, received ${formatBytes(bytesReceived)} in ${seconds.toFixed(2)} s (${formatBytes(rate)}/s)`;
}

const UNITS = ['KiB', 'MiB', 'GiB', 'TiB'];

/** 0 B, 999 B, 1.0 KiB, 12.3 MiB, 1.41 GiB: binary units, three significant digits or so. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${Math.round(bytes)} B`;
  let value = bytes;
  let unit = -1;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 2 : 1)} ${UNITS[unit]}`;
}

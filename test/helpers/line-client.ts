import net from 'node:net';
import iconv from 'iconv-lite';
import { waitUntil } from './wait.js';

/**
 * A plain TCP client, like nc: it writes bytes and collects the lines it receives,
 * decoded with the given encoding.
 */
export class LineClient {
  readonly lines: string[] = [];
  private buffered = Buffer.alloc(0);
  closed = false;

  private constructor(
    readonly socket: net.Socket,
    private readonly encoding: string,
  ) {
    socket.on('data', (chunk: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, chunk]);
      for (;;) {
        const nl = this.buffered.indexOf(0x0a);
        if (nl === -1) break;
        this.lines.push(iconv.decode(this.buffered.subarray(0, nl), this.encoding).replace(/\r$/, ''));
        this.buffered = this.buffered.subarray(nl + 1);
      }
      socket.emit('lines');
    });
    socket.on('close', () => {
      this.closed = true;
      socket.emit('lines');
    });
    socket.on('error', () => {});
  }

  /** Wraps a socket that is already connected. */
  static wrap(socket: net.Socket, encoding = 'utf-8'): LineClient {
    return new LineClient(socket, encoding);
  }

  static connect(port: number, host = '127.0.0.1', encoding = 'utf-8'): Promise<LineClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host }, () => resolve(new LineClient(socket, encoding)));
      socket.once('error', reject);
    });
  }

  send(text: string, encoding = this.encoding): void {
    this.socket.write(iconv.encode(text, encoding));
  }

  /** Waits for a received line matching `pattern` and returns it. */
  async waitForLine(pattern: RegExp, timeoutMs = 5000): Promise<string> {
    let found: string | undefined;
    await waitUntil(
      this.socket,
      'lines',
      () => {
        found = this.lines.find((l) => pattern.test(l));
        return found !== undefined;
      },
      timeoutMs,
      `a line matching ${pattern} (last lines: ${JSON.stringify(this.lines.slice(-5).map((l) => l.slice(0, 80)))})`,
    );
    return found!;
  }

  waitForClose(timeoutMs = 5000): Promise<void> {
    return waitUntil(this.socket, 'lines', () => this.closed, timeoutMs, 'the connection to close');
  }

  destroy(): void {
    this.socket.destroy();
  }
}

import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { RocketError } from '../errors.js';
import { makeDirSync } from '../make-dir.js';
import { formatHostPort } from './socket-errors.js';

/** Name of the pinning file in the data directory. */
export const KNOWN_HOSTS_FILE_NAME = 'known_hosts';

/** DATA_DIR/known_hosts. */
export function knownHostsPath(dataDir: string): string {
  return join(dataDir, KNOWN_HOSTS_FILE_NAME);
}

/** How a certificate compared with the one pinned for its host and port. */
export type PinResult =
  /** No pin for this host:port yet: this one is now pinned (trust on first use). */
  | { status: 'pinned'; hostPort: string; fingerprint: string; file: string }
  /** Same as the pinned one. */
  | { status: 'known'; hostPort: string; fingerprint: string; file: string };

/**
 * The `known_hosts` file: one "host:port SHA256:..." line per server, like OpenSSH's
 * (blank lines and lines starting with # are ignored). The key is the host as it was typed,
 * in lower case, so `localhost:8888` and `127.0.0.1:8888` are pinned separately, as ssh does.
 */
export class KnownHosts {
  constructor(readonly file: string) {}

  /** The key a host and port are filed under, e.g. "localhost:8888" or "[::1]:8888". */
  static key(host: string, port: number): string {
    return formatHostPort(host.toLowerCase().replace(/^\[(.*)\]$/, '$1'), port);
  }

  /** The fingerprint pinned for host:port, if any. */
  lookup(host: string, port: number): string | undefined {
    const key = KnownHosts.key(host, port);
    let found: string | undefined;
    for (const entry of this.entries()) if (entry.hostPort === key) found = entry.fingerprint;
    return found;
  }

  /**
   * Pins `fingerprint` for host:port, replacing an older pin. The file and its folder are
   * made when missing (the folder readable only by its owner).
   */
  pin(host: string, port: number, fingerprint: string): void {
    const key = KnownHosts.key(host, port);
    try {
      makeDirSync(dirname(this.file), 0o700);
      const lines = this.lines();
      const kept = lines.filter((line) => parseLine(line)?.hostPort !== key);
      const entry = `${key} ${fingerprint}\n`;
      if (kept.length === lines.length) appendFileSync(this.file, entry, { mode: 0o600 });
      else writeFileSync(this.file, kept.map((line) => `${line}\n`).join('') + entry, { mode: 0o600 });
    } catch (err) {
      throw new RocketError(
        'ROCKET_ERR_IO',
        `Cannot pin the certificate of ${key} in ${this.file}: ${err instanceof Error ? err.message : String(err)}`,
        { cause: err },
      );
    }
  }

  /**
   * Trust on first use: pins the fingerprint when host:port has none, accepts it when it is the
   * pinned one, and rejects with ROCKET_ERR_TLS_UNTRUSTED, naming both fingerprints, when it
   * differs.
   */
  check(host: string, port: number, fingerprint: string): PinResult {
    const hostPort = KnownHosts.key(host, port);
    const pinned = this.lookup(host, port);
    if (pinned === fingerprint) return { status: 'known', hostPort, fingerprint, file: this.file };
    if (pinned !== undefined) {
      throw new RocketError(
        'ROCKET_ERR_TLS_UNTRUSTED',
        `Cannot connect to ${formatHostPort(host, port)} (tls): its certificate CHANGED: ${this.file} has ${pinned} but the server sent ${fingerprint}; someone may be intercepting the connection, or the room made a new certificate; if you trust the new one, connect with --fingerprint ${fingerprint}`,
      );
    }
    this.pin(host, port, fingerprint);
    return { status: 'pinned', hostPort, fingerprint, file: this.file };
  }

  private lines(): string[] {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new RocketError(
        'ROCKET_ERR_IO',
        `Cannot read ${this.file}: ${err instanceof Error ? err.message : String(err)}`,
        { cause: err },
      );
    }
    return text.split(/\r?\n/).filter((line) => line.trim() !== '');
  }

  private entries(): Array<{ hostPort: string; fingerprint: string }> {
    return this.lines().flatMap((line) => parseLine(line) ?? []);
  }
}

function parseLine(line: string): { hostPort: string; fingerprint: string } | undefined {
  if (line.trimStart().startsWith('#')) return undefined;
  const [hostPort, fingerprint] = line.trim().split(/\s+/);
  return hostPort && fingerprint ? { hostPort: hostPort.toLowerCase(), fingerprint } : undefined;
}

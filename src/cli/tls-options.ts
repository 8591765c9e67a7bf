import { type Command, InvalidArgumentError } from 'commander';
import { UsageError } from '../errors.js';
import { defaultDataDir } from '../store/data-dir.js';
import {
  loadServerCertificate,
  parseFingerprint,
  readPemFile,
  type ServerCertificate,
} from '../transport/certificates.js';
import { knownHostsPath } from '../transport/known-hosts.js';
import { isWildcardAddress } from '../transport/socket-errors.js';
import type { TlsClientOptions, TlsServerOptions, TlsVersion } from '../transport/tls.js';

/** The TLS flags of listen and connect. */
export interface TlsFlags {
  tls?: boolean;
  cert?: string;
  key?: string;
  ca?: string;
  fingerprint?: string;
  tlsMin?: TlsVersion;
  udp?: boolean;
  dataDir?: string;
}

export const UDP_NOT_ENCRYPTED =
  'cannot use --tls with --udp: TLS needs TCP, and nothing over UDP is encrypted';

function parseTlsVersion(value: string): TlsVersion {
  const version = value.trim().replace(/^TLSv?/i, '');
  if (version === '1.2' || version === '1.3') return `TLSv${version}`;
  throw new InvalidArgumentError(
    `"${value}" is not a TLS version rocket accepts: use 1.3 (the default) or 1.2`,
  );
}

function parseFingerprintFlag(value: string): string {
  const fingerprint = parseFingerprint(value);
  if (fingerprint === undefined) {
    throw new InvalidArgumentError(
      `"${value}" is not a certificate fingerprint: use the SHA256:... that the room prints at start`,
    );
  }
  return fingerprint;
}

/** Declares --tls and its companions; `side` says which ones make sense there. */
export function addTlsOptions(command: Command, side: 'listen' | 'connect'): Command {
  if (side === 'listen') {
    command
      .option(
        '--tls',
        'encrypt every connection with TLS 1.3 (TCP only: nothing over UDP is encrypted); without --cert/--key a self-signed certificate is made once and kept in the data folder',
      )
      .option('--cert <file>', 'with --tls: the certificate to show (PEM), instead of the self-signed one')
      .option('--key <file>', "with --tls: the certificate's private key (PEM)")
      .option('--ca <file>', 'with --tls: let in only clients with a certificate signed by this CA (PEM)');
  } else {
    command
      .option(
        '--tls',
        "encrypt the connection with TLS 1.3 (TCP only: nothing over UDP is encrypted); the room's certificate is pinned on first use in DATA_DIR/known_hosts",
      )
      .option(
        '--fingerprint <sha256>',
        "with --tls: the room's certificate must have this fingerprint (as the room prints it: SHA256:...)",
        parseFingerprintFlag,
      )
      .option(
        '--ca <file>',
        'with --tls: verify the room against this CA (PEM) and the system CAs, by its name, instead of pinning',
      )
      .option('--cert <file>', 'with --tls: your client certificate (PEM), for a room that asks for one')
      .option('--key <file>', "with --tls: your client certificate's private key (PEM)")
      .option(
        '--data-dir <dir>',
        'with --tls: where known_hosts is kept (default: your per-user data folder)',
      );
  }
  command.option(
    '--tls-min <version>',
    'with --tls: the oldest TLS version to accept: 1.3 (default) or 1.2',
    parseTlsVersion,
  );
  return command.addHelpText(
    'after',
    side === 'listen'
      ? `
TLS:
  rocket listen --tls                   a TLS room; prints its certificate's fingerprint
  rocket listen --tls --cert c.pem --key k.pem
                                        show a real certificate instead
  --tls does not apply to UDP: nothing over UDP is encrypted, and --tls --udp is refused.`
      : `
TLS:
  rocket connect host --tls             the first time pins the room's certificate in
                                        known_hosts; a changed certificate is refused
  rocket connect host --tls --fingerprint SHA256:...
                                        trust exactly the certificate the room printed
  rocket connect host --tls --ca ca.pem verify with a CA, like a browser
  --tls does not apply to UDP: nothing over UDP is encrypted, and --tls --udp is refused.`,
  );
}

/** Rejects TLS flag combinations that make no sense, before any file is read or socket opened. */
export function checkTlsFlags(flags: TlsFlags, side: 'listen' | 'connect'): void {
  if (!flags.tls) {
    const stray: Array<[string, unknown]> = [
      ['--cert', flags.cert],
      ['--key', flags.key],
      ['--ca', flags.ca],
      ['--fingerprint', flags.fingerprint],
      ['--tls-min', flags.tlsMin],
    ];
    if (side === 'connect') stray.push(['--data-dir', flags.dataDir]);
    for (const [name, value] of stray)
      if (value !== undefined) throw new UsageError(`${name} goes with --tls`);
    return;
  }
  if (flags.udp) throw new UsageError(UDP_NOT_ENCRYPTED);
  if ((flags.cert === undefined) !== (flags.key === undefined))
    throw new UsageError('--cert and --key go together: the certificate and its private key');
}

/**
 * The listener's TLS options, or undefined without --tls: the certificate from --cert/--key or
 * the self-signed one in the data folder, and one stderr line for each client turned away.
 */
export async function serverTlsFromFlags(
  flags: TlsFlags,
  host: string | undefined,
): Promise<{ tls: TlsServerOptions; certificate: ServerCertificate } | undefined> {
  if (!flags.tls) return undefined;
  const certificate = await loadServerCertificate({
    certFile: flags.cert,
    keyFile: flags.key,
    dataDir: flags.dataDir ?? defaultDataDir(),
    hostNames: host === undefined || isWildcardAddress(host) ? [] : [host],
  });
  const tls: TlsServerOptions = {
    cert: certificate.cert,
    key: certificate.key,
    ca: flags.ca === undefined ? undefined : readPemFile(flags.ca, 'CA certificate'),
    minVersion: flags.tlsMin,
    onClientError: (message) => process.stderr.write(`rocket: ${message}\n`),
  };
  return { tls, certificate };
}

/** The lines listen prints after "Listening on ...". */
export function describeServerCertificate(certificate: ServerCertificate): string {
  const made = certificate.created
    ? `TLS: made a self-signed certificate ${certificate.certFile} (its key ${certificate.keyFile} is readable only by you)\n`
    : '';
  return `${made}TLS fingerprint ${certificate.fingerprint}\n`;
}

/** The client's TLS options, or undefined without --tls. Reads --ca/--cert/--key now, so a bad path fails early. */
export function clientTlsFromFlags(flags: TlsFlags): TlsClientOptions | undefined {
  if (!flags.tls) return undefined;
  const pinning = flags.ca === undefined;
  return {
    ca: pinning ? undefined : readPemFile(flags.ca!, 'CA certificate'),
    cert: flags.cert === undefined ? undefined : readPemFile(flags.cert, 'client certificate'),
    key: flags.key === undefined ? undefined : readPemFile(flags.key, 'private key'),
    fingerprint: flags.fingerprint,
    knownHostsFile: pinning ? knownHostsPath(flags.dataDir ?? defaultDataDir()) : undefined,
    minVersion: flags.tlsMin,
    onPinned: (result) => {
      if (result.status !== 'pinned') return;
      // Given the fingerprint, the user vouched for it: not "first connection, trusted blindly".
      process.stderr.write(
        flags.fingerprint === undefined
          ? `rocket: first connection to ${result.hostPort}: pinned certificate ${result.fingerprint} in ${result.file}\n`
          : `rocket: ${result.hostPort} showed the certificate of --fingerprint; pinned it in ${result.file}\n`,
      );
    },
  };
}

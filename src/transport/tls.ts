import type net from 'node:net';
import { isIP } from 'node:net';
import tls from 'node:tls';
import { RocketError } from '../errors.js';
import { certificateFingerprint } from './certificates.js';
import { KnownHosts, type PinResult } from './known-hosts.js';
import { describeConnectError, formatHostPort } from './socket-errors.js';
import { listenTcp, remoteLabel, type TcpConnectOptions, type TcpListenOptions } from './tcp.js';

/** Oldest TLS version to accept: 1.3 unless a peer can only do 1.2. */
export type TlsVersion = 'TLSv1.2' | 'TLSv1.3';

export const DEFAULT_TLS_MIN_VERSION: TlsVersion = 'TLSv1.3';

/** What a plain client that reaches a TLS port reads before the connection closes. */
export const PLAIN_CLIENT_NOTICE = 'rocket: this port speaks TLS; use rocket connect --tls\n';
/** The notice of a raw TLS pipe (rocket listen --raw --tls), which a chat client cannot use. */
export const RAW_PLAIN_CLIENT_NOTICE = 'rocket: this port speaks TLS; use rocket connect --raw --tls\n';

/** Every TLS record starts with its content type; a client's first record is a handshake (22). */
const TLS_HANDSHAKE_RECORD = 0x16;

export interface TlsServerOptions {
  /** The server's certificate (PEM), e.g. from {@link loadServerCertificate}. */
  cert: string | Buffer;
  /** Its private key (PEM). */
  key: string | Buffer;
  /**
   * Ask every client for a certificate signed by one of these CAs (PEM), and refuse clients
   * without one. Default: no client certificates.
   */
  ca?: string | Buffer | Array<string | Buffer>;
  /** Default TLSv1.3. */
  minVersion?: TlsVersion;
  /**
   * One line about a client that did not get through, e.g. "127.0.0.1:5555 spoke plain text
   * to the TLS port; closed". The listener goes on either way. Default: say nothing.
   */
  onClientError?: (message: string) => void;
  /**
   * A TLS client speaks first; one silent this long is taken for a plain client waiting for
   * the room's greeting, told that this port speaks TLS, and closed. Default 3 s.
   */
  helloTimeoutMs?: number;
  /** A handshake not done in this long is dropped. Default 10 s. */
  handshakeTimeoutMs?: number;
  /** What a plain client is told before it is closed; default {@link PLAIN_CLIENT_NOTICE}. */
  plainClientNotice?: string;
}

export interface TlsListenOptions extends TcpListenOptions {
  tls: TlsServerOptions;
  /**
   * Asked about each raw connection before any byte of it is read or any TLS work is done;
   * returning false refuses it (the callee closes it). Keeps denied addresses and a full
   * room from costing a handshake.
   */
  admit?: (raw: net.Socket) => boolean;
}

/**
 * Like {@link listenTcp}, but every connection is TLS: `onConnection` gets the decrypted
 * socket once the handshake is done. The first bytes from each client are looked at before
 * TLS takes over: a client whose first byte is not a TLS handshake record (0x16) is a plain
 * client, which reads {@link PLAIN_CLIENT_NOTICE} and is closed; so is a client that sends
 * nothing for `helloTimeoutMs` (nc and plain rockets wait for the room to speak first).
 * Neither, nor a failed handshake, disturbs the listener: `onClientError` hears of each.
 *
 * @example
 * const { cert, key } = await loadServerCertificate({ dataDir: defaultDataDir() });
 * const server = await listenTls({ port: 8443, tls: { cert, key } }, (socket) => socket.pipe(socket));
 */
export async function listenTls(
  options: TlsListenOptions,
  onConnection: (socket: tls.TLSSocket) => void,
): Promise<net.Server> {
  const config = options.tls;
  const requestCert = config.ca !== undefined;
  const report = config.onClientError ?? (() => {});
  const helloTimeoutMs = config.helloTimeoutMs ?? 3000;
  const handshakeTimeoutMs = config.handshakeTimeoutMs ?? 10_000;
  // A tls.Server that never listens does the handshakes: each raw socket that looks like TLS
  // is handed to it as a 'connection', and it brings client-certificate checks and timeouts.
  let engine: tls.Server;
  try {
    engine = tls.createServer({
      cert: config.cert,
      key: config.key,
      ca: config.ca,
      minVersion: config.minVersion ?? DEFAULT_TLS_MIN_VERSION,
      requestCert,
      rejectUnauthorized: requestCert,
      handshakeTimeout: handshakeTimeoutMs,
      pauseOnConnect: options.pauseOnConnect ?? false,
      allowHalfOpen: options.allowHalfOpen ?? false,
    });
  } catch (err) {
    throw new RocketError('ROCKET_ERR_TLS', `Cannot use the TLS certificate: ${reasonOf(err)}`, {
      cause: err,
    });
  }
  engine.on('secureConnection', onConnection);
  // The TLS socket may have lost its address by the time it fails (a reset), so each is
  // labelled from the plain socket it wraps, which TLSSocket keeps as `_parent`.
  const labels = new WeakMap<net.Socket, string>();
  engine.on('tlsClientError', (err, socket) => {
    const parent = (socket as tls.TLSSocket & { _parent?: net.Socket })._parent;
    const peer = (parent && labels.get(parent)) ?? 'a client';
    report(`${peer}: TLS handshake failed: ${describeServerHandshakeError(err)}; closed`);
  });

  const accept = (raw: net.Socket): void => {
    if (options.admit && !options.admit(raw)) return;
    const peer = remoteLabel(raw);
    const onRawError = (): void => {}; // a client that resets before TLS starts only ends itself
    raw.on('error', onRawError);
    const tellPlain = (why: string): void => {
      report(`${peer} ${why}; closed`);
      // Our FIN goes after the notice; their remaining bytes are read and dropped so the kernel
      // does not answer them with a reset that could discard the notice before they read it.
      raw.on('data', () => {});
      raw.on('end', () => raw.destroy());
      setTimeout(() => raw.destroy(), 2000).unref();
      raw.end(options.tls.plainClientNotice ?? PLAIN_CLIENT_NOTICE);
    };
    const helloTimer = setTimeout(() => {
      raw.off('data', onFirstChunk);
      raw.off('end', onEarlyEnd);
      tellPlain(
        `sent nothing for ${helloTimeoutMs / 1000} s (a plain client waiting for the room to speak?)`,
      );
    }, helloTimeoutMs);
    raw.once('close', () => clearTimeout(helloTimer));
    // A plain client with nothing to say (`rocket connect host < /dev/null`) ends its side
    // before the hello timeout: it still hears why, rather than a silent close.
    const onEarlyEnd = (): void => {
      clearTimeout(helloTimer);
      raw.off('data', onFirstChunk);
      tellPlain('closed its side without a word (a plain client with nothing to say?)');
    };
    raw.once('end', onEarlyEnd);
    const onFirstChunk = (chunk: Buffer): void => {
      clearTimeout(helloTimer);
      raw.off('end', onEarlyEnd);
      raw.pause();
      if (chunk[0] !== TLS_HANDSHAKE_RECORD) {
        tellPlain('spoke plain text to the TLS port');
        return;
      }
      // Back into the socket's buffer: a new TLSSocket feeds what is buffered there to TLS first.
      raw.unshift(chunk);
      raw.off('error', onRawError);
      labels.set(raw, peer);
      engine.emit('connection', raw);
    };
    raw.once('data', onFirstChunk);
    raw.resume(); // accepted paused: a 'data' listener alone does not start it
  };

  // Accepted paused, so no byte is read before we decide whether it is TLS.
  return listenTcp({ ...options, pauseOnConnect: true }, accept);
}

export interface TlsClientOptions {
  /**
   * Verify the server against these CAs (PEM), in addition to the system's, and check that its
   * certificate names the host. No trust-on-first-use pinning then.
   */
  ca?: string | Buffer | Array<string | Buffer>;
  /** A client certificate (PEM) for a room that asks for one, with its key. */
  cert?: string | Buffer;
  key?: string | Buffer;
  /**
   * The server's certificate must have this fingerprint ("SHA256:...", see
   * {@link certificateFingerprint}); with `knownHostsFile` it is pinned there too.
   */
  fingerprint?: string;
  /**
   * Trust on first use, like ssh: the first certificate seen for host:port is pinned in this
   * file and later ones must match. Without `ca`, `fingerprint` and `knownHostsFile` the
   * server is verified against the system's CAs, as a browser would.
   */
  knownHostsFile?: string;
  /** Default TLSv1.3. */
  minVersion?: TlsVersion;
  /** Called after the certificate was checked against (or newly pinned in) knownHostsFile. */
  onPinned?: (result: PinResult) => void;
}

export interface TlsConnectOptions extends Omit<TcpConnectOptions, 'onread'> {
  tls: TlsClientOptions;
}

/**
 * Opens a TLS connection and checks the server's certificate (CA, fingerprint, or pinning: see
 * {@link TlsClientOptions}); resolves once it is trusted. Rejects with a RocketError: the
 * TCP errors of connectTcp, "... does not speak TLS (is it a plain rocket room? leave out
 * --tls)", ROCKET_ERR_TLS_UNTRUSTED for a certificate that is not trusted or has changed.
 *
 * @example
 * const socket = await connectTls({
 *   host: 'george-laptop',
 *   port: 8888,
 *   tls: { knownHostsFile: knownHostsPath(defaultDataDir()), onPinned: (p) => console.error(p) },
 * });
 */
export function connectTls(options: TlsConnectOptions): Promise<tls.TLSSocket> {
  const { host, port } = options;
  const config = options.tls;
  const where = formatHostPort(host, port);
  const verifyWithCa =
    config.ca !== undefined || (config.fingerprint === undefined && !config.knownHostsFile);
  const timeoutMs = options.timeoutMs ?? 10_000;
  return new Promise((resolve, reject) => {
    let tcpConnected = false;
    const connectOptions: tls.ConnectionOptions &
      Pick<net.TcpNetConnectOpts, 'localAddress' | 'allowHalfOpen'> = {
      host,
      port,
      localAddress: options.localAddress, // passed on to the TCP connect
      allowHalfOpen: options.allowHalfOpen ?? false,
      servername: isIP(host) ? undefined : host,
      minVersion: config.minVersion ?? DEFAULT_TLS_MIN_VERSION,
      ca: config.ca === undefined ? undefined : [...tls.rootCertificates, ...[config.ca].flat()],
      cert: config.cert,
      key: config.key,
      rejectUnauthorized: verifyWithCa,
    };
    const socket = tls.connect(connectOptions);
    socket.setNoDelay(true);
    const fail = (err: RocketError): void => {
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    };
    const timer = setTimeout(() => {
      fail(
        tcpConnected
          ? new RocketError(
              'ROCKET_ERR_TLS',
              `Cannot connect to ${where} (tls): no TLS handshake within ${timeoutMs / 1000} s (is it a TLS port?)`,
            )
          : describeConnectError(new RocketError('ROCKET_ERR_TIMEOUT', 'timeout'), host, port, 'tls'),
      );
    }, timeoutMs);
    socket.once('connect', () => {
      tcpConnected = true;
    });
    const onError = (err: Error): void => {
      fail(
        tcpConnected
          ? describeClientHandshakeError(err, host, port)
          : describeConnectError(err, host, port, 'tls'),
      );
    };
    socket.once('error', onError);
    socket.once('secureConnect', () => {
      try {
        checkServerCertificate(socket, options);
      } catch (err) {
        fail(err as RocketError);
        return;
      }
      clearTimeout(timer);
      socket.off('error', onError);
      resolve(socket);
    });
  });
}

/** The fingerprint and pinning checks, after the handshake and before any application byte. */
function checkServerCertificate(socket: tls.TLSSocket, options: TlsConnectOptions): void {
  const config = options.tls;
  const raw = socket.getPeerCertificate().raw;
  if (!raw) {
    throw new RocketError(
      'ROCKET_ERR_TLS_UNTRUSTED',
      `Cannot connect to ${formatHostPort(options.host, options.port)} (tls): the server showed no certificate`,
    );
  }
  const fingerprint = certificateFingerprint(raw);
  if (config.fingerprint !== undefined) {
    if (fingerprint !== config.fingerprint) {
      throw new RocketError(
        'ROCKET_ERR_TLS_UNTRUSTED',
        `Cannot connect to ${formatHostPort(options.host, options.port)} (tls): its certificate is ${fingerprint}, not the ${config.fingerprint} given with --fingerprint; someone may be intercepting the connection`,
      );
    }
    if (config.knownHostsFile && config.ca === undefined) {
      const knownHosts = new KnownHosts(config.knownHostsFile);
      const already = knownHosts.lookup(options.host, options.port) === fingerprint;
      if (!already) knownHosts.pin(options.host, options.port, fingerprint);
      config.onPinned?.({
        status: already ? 'known' : 'pinned',
        hostPort: KnownHosts.key(options.host, options.port),
        fingerprint,
        file: config.knownHostsFile,
      });
    }
    return;
  }
  if (config.ca !== undefined || !config.knownHostsFile) return; // verified by OpenSSL against the CAs
  // Checked whether or not anyone listens: `onPinned?.(check())` would skip the check itself.
  const result = new KnownHosts(config.knownHostsFile).check(options.host, options.port, fingerprint);
  config.onPinned?.(result);
}

const NOT_TLS_CODES = new Set([
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'ERR_SSL_PACKET_LENGTH_TOO_LONG',
  'ERR_SSL_UNKNOWN_PROTOCOL',
  'ERR_SSL_HTTP_REQUEST',
  'ERR_SSL_RECORD_LAYER_FAILURE',
  'ERR_SSL_UNEXPECTED_MESSAGE', // an echo service: our own ClientHello came back
]);

const UNTRUSTED_ISSUER_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
]);

/** A handshake that failed on the client's side, in words. */
function describeClientHandshakeError(err: unknown, host: string, port: number): RocketError {
  const where = formatHostPort(host, port);
  const action = `Cannot connect to ${where} (tls)`;
  const code = codeOf(err);
  const make = (rocketCode: 'ROCKET_ERR_TLS' | 'ROCKET_ERR_TLS_UNTRUSTED', cause: string): RocketError =>
    new RocketError(rocketCode, `${action}: ${cause}`, { cause: err });
  if (NOT_TLS_CODES.has(code))
    return make('ROCKET_ERR_TLS', `${where} does not speak TLS (is it a plain rocket room? leave out --tls)`);
  if (UNTRUSTED_ISSUER_CODES.has(code))
    return make(
      'ROCKET_ERR_TLS_UNTRUSTED',
      `its certificate is not signed by a CA you trust (${code}); check --ca, or leave --ca out to pin the certificate on first use`,
    );
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    // Node's own reason lists only the names of the kind asked for (none, for an IP address
    // and a certificate with DNS names only); the certificate's full list says more.
    const names = (err as { cert?: { subjectaltname?: string } }).cert?.subjectaltname;
    return make(
      'ROCKET_ERR_TLS_UNTRUSTED',
      `its certificate is not for this name: it is for ${names || 'no names at all'}, not ${host}`,
    );
  }
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID')
    return make(
      'ROCKET_ERR_TLS_UNTRUSTED',
      `its certificate is ${code === 'CERT_HAS_EXPIRED' ? 'expired' : 'not valid yet'} (check the clocks)`,
    );
  if (/PROTOCOL_VERSION|UNSUPPORTED_PROTOCOL|NO_PROTOCOLS_AVAILABLE|VERSION_TOO_LOW/.test(code))
    return make(
      'ROCKET_ERR_TLS',
      'the server and rocket have no TLS version in common (rocket wants 1.3; --tls-min 1.2 also allows 1.2)',
    );
  if (/CERTIFICATE_REQUIRED|HANDSHAKE_FAILURE/.test(code))
    return make(
      'ROCKET_ERR_TLS',
      'the server asks for a client certificate: give yours with --cert and --key',
    );
  if (/ALERT_(UNKNOWN_CA|BAD_CERTIFICATE|CERTIFICATE_UNKNOWN|DECRYPT_ERROR)/.test(code))
    return make('ROCKET_ERR_TLS', 'the server did not accept your client certificate');
  if (code === 'ECONNRESET' || code === 'EPIPE')
    return make(
      'ROCKET_ERR_TLS',
      'the server closed the connection during the TLS handshake (does it speak TLS on this port?)',
    );
  return make('ROCKET_ERR_TLS', `TLS handshake failed: ${reasonOf(err)}`);
}

/** Why a client's handshake failed, seen from the server. */
function describeServerHandshakeError(err: unknown): string {
  const code = codeOf(err);
  if (/ALERT_(UNKNOWN_CA|BAD_CERTIFICATE|CERTIFICATE_UNKNOWN)/.test(code))
    return "the client did not accept this room's certificate";
  if (/PEER_DID_NOT_RETURN_A_CERTIFICATE|CERTIFICATE_REQUIRED/.test(code))
    return 'it sent no client certificate (this room asks for one)';
  if (UNTRUSTED_ISSUER_CODES.has(code)) return 'its client certificate is not signed by the --ca';
  if (/UNSUPPORTED_PROTOCOL|NO_PROTOCOLS_AVAILABLE|VERSION_TOO_LOW|PROTOCOL_VERSION/.test(code))
    return 'it offers no TLS version the room accepts';
  if (code === 'ECONNRESET' || code === 'EPIPE') return 'it left during the handshake';
  return reasonOf(err);
}

function codeOf(err: unknown): string {
  return typeof err === 'object' && err !== null && 'code' in err
    ? String((err as { code: unknown }).code)
    : '';
}

/** OpenSSL's short reason ("wrong version number") rather than its long line with file names. */
function reasonOf(err: unknown): string {
  if (typeof err === 'object' && err !== null && 'reason' in err && typeof err.reason === 'string')
    return err.reason;
  return err instanceof Error ? err.message.split('\n')[0]! : String(err);
}

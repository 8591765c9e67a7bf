import { createHash, createPrivateKey, X509Certificate as NodeX509Certificate, webcrypto } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { createSecureContext } from 'node:tls';
import { RocketError } from '../errors.js';
import { makeDirSync } from '../make-dir.js';

/** File names of the room's own certificate in its data directory. */
export const CERT_FILE_NAME = 'tls-cert.pem';
export const KEY_FILE_NAME = 'tls-key.pem';

/** A made certificate is good for this long: it is pinned, so it must not change often. */
const SELF_SIGNED_VALID_DAYS = 3650;

/** A certificate and its private key, both PEM. */
export interface CertificatePair {
  cert: string;
  key: string;
}

/** The certificate a TLS listener shows, with where it came from. */
export interface ServerCertificate extends CertificatePair {
  /** "SHA256:<base64>" of the certificate (see {@link certificateFingerprint}). */
  fingerprint: string;
  certFile: string;
  keyFile: string;
  /** Made by rocket (kept in the data directory), rather than given with --cert/--key. */
  selfSigned: boolean;
  /** Made just now, on this start. */
  created: boolean;
}

/**
 * The fingerprint rocket shows and pins: SHA-256 of the certificate's DER bytes, written the
 * way OpenSSH writes key fingerprints, `SHA256:` and unpadded base64.
 *
 * @example
 * certificateFingerprint(readFileSync('tls-cert.pem', 'utf8')); // 'SHA256:q0Xy...'
 */
export function certificateFingerprint(cert: string | Buffer): string {
  const der = Buffer.isBuffer(cert) && cert[0] === 0x30 ? cert : new NodeX509Certificate(cert).raw;
  return `SHA256:${createHash('sha256').update(der).digest('base64').replace(/=+$/, '')}`;
}

/**
 * Reads a fingerprint as a person may paste it: `SHA256:<base64>` (rocket's and OpenSSH's
 * form) or 64 hex digits with or without colons (`openssl x509 -fingerprint -sha256`).
 * Returns rocket's form, or undefined when it is neither.
 */
export function parseFingerprint(text: string): string | undefined {
  const trimmed = text.trim();
  const base64 = /^sha256:([A-Za-z0-9+/]{43})=?$/i.exec(trimmed);
  if (base64) return `SHA256:${base64[1]}`;
  const hex = trimmed.replace(/^sha256[:=]/i, '').replace(/:/g, '');
  if (/^[0-9a-fA-F]{64}$/.test(hex)) {
    return `SHA256:${Buffer.from(hex, 'hex').toString('base64').replace(/=+$/, '')}`;
  }
  return undefined;
}

/**
 * The listener's certificate: `certFile`/`keyFile` when given, otherwise the self-signed one
 * kept in `dataDir` (made on first use, ECDSA P-256, the key file readable only by its owner).
 * Rejects with a RocketError when a file cannot be read or the key does not fit the certificate.
 *
 * @example
 * const { cert, key, fingerprint } = await loadServerCertificate({ dataDir: defaultDataDir() });
 */
export async function loadServerCertificate(options: {
  certFile?: string;
  keyFile?: string;
  dataDir: string;
  /** Extra names for a new self-signed certificate's subjectAltName (e.g. the --host). */
  hostNames?: string[];
}): Promise<ServerCertificate> {
  if (options.certFile !== undefined && options.keyFile !== undefined) {
    const pair = {
      cert: readPemFile(options.certFile, 'certificate'),
      key: readPemFile(options.keyFile, 'private key'),
    };
    checkPair(pair, options.certFile, options.keyFile);
    return {
      ...pair,
      fingerprint: certificateFingerprint(pair.cert),
      certFile: options.certFile,
      keyFile: options.keyFile,
      selfSigned: false,
      created: false,
    };
  }
  const certFile = join(options.dataDir, CERT_FILE_NAME);
  const keyFile = join(options.dataDir, KEY_FILE_NAME);
  const existing = readExisting(certFile, keyFile);
  const created = existing === undefined;
  const pair =
    existing ?? (await createKeptCertificate(options.dataDir, certFile, keyFile, options.hostNames));
  checkPair(pair, certFile, keyFile);
  return {
    ...pair,
    fingerprint: certificateFingerprint(pair.cert),
    certFile,
    keyFile,
    selfSigned: true,
    created,
  };
}

/** Both files, or undefined when neither exists; one without the other is an error to fix by hand. */
function readExisting(certFile: string, keyFile: string): CertificatePair | undefined {
  const cert = readIfThere(certFile, 'certificate');
  const key = readIfThere(keyFile, 'private key');
  if (cert === undefined && key === undefined) return undefined;
  if (cert === undefined || key === undefined) {
    const [have, missing] = cert === undefined ? [keyFile, certFile] : [certFile, keyFile];
    throw new RocketError(
      'ROCKET_ERR_TLS',
      `Cannot load the TLS certificate: ${have} is there but ${missing} is not; remove ${have} to make a new pair (clients that pinned the old one will refuse the new one)`,
    );
  }
  return { cert, key };
}

async function createKeptCertificate(
  dataDir: string,
  certFile: string,
  keyFile: string,
  hostNames: string[] = [],
): Promise<CertificatePair> {
  const pair = await createSelfSignedCertificate({ hostNames: [hostname(), ...hostNames] });
  try {
    makeDirSync(dataDir, 0o700);
    // Written under temporary names and renamed, so a crash never leaves half a file behind;
    // the key goes first and the certificate last, since the certificate's presence means "done".
    const suffix = `.${process.pid}.tmp`;
    writeFileSync(keyFile + suffix, pair.key, { mode: 0o600 });
    renameSync(keyFile + suffix, keyFile);
    writeFileSync(certFile + suffix, pair.cert, { mode: 0o644 });
    renameSync(certFile + suffix, certFile);
  } catch (err) {
    throw new RocketError(
      'ROCKET_ERR_IO',
      `Cannot keep the TLS certificate in ${dataDir}: ${messageOf(err)}; pick another folder with --data-dir`,
      { cause: err },
    );
  }
  return pair;
}

/**
 * Makes a self-signed certificate for a TLS listener: an ECDSA P-256 key, and subjectAltNames
 * for `hostNames`, localhost, 127.0.0.1 and ::1. Loads @peculiar/x509 on demand (Node has no
 * API that creates certificates, and rocket never shells out to openssl).
 *
 * @example
 * const { cert, key } = await createSelfSignedCertificate({ hostNames: ['george-laptop'] });
 */
export async function createSelfSignedCertificate(
  options: { hostNames?: string[]; validDays?: number } = {},
): Promise<CertificatePair> {
  const x509 = await loadX509();
  const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
  const names = [...new Set([...(options.hostNames ?? []), 'localhost'].filter(isDnsName))];
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: `CN=${names[0] ?? 'localhost'}, O=rocket self-signed`,
    notBefore: new Date(now - 24 * 3600_000), // a peer whose clock is a little behind still accepts it
    notAfter: new Date(now + (options.validDays ?? SELF_SIGNED_VALID_DAYS) * 24 * 3600_000),
    signingAlgorithm: algorithm,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        ...names.map((value) => ({ type: 'dns' as const, value })),
        ...(options.hostNames ?? []).filter(isIpAddress).map((value) => ({ type: 'ip' as const, value })),
        { type: 'ip', value: '127.0.0.1' },
        { type: 'ip', value: '::1' },
      ]),
    ],
  });
  return { cert: cert.toString('pem'), key: await exportPrivateKey(keys.privateKey) };
}

/** @peculiar/x509 with the Reflect polyfill its dependency injection needs, imported once on demand. */
export async function loadX509(): Promise<typeof import('@peculiar/x509')> {
  await import('reflect-metadata');
  const x509 = await import('@peculiar/x509');
  x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
  return x509;
}

/** A private key as PKCS#8 PEM, the form Node's tls reads. */
export async function exportPrivateKey(key: webcrypto.CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN PRIVATE KEY-----\n${lines.join('\n')}\n-----END PRIVATE KEY-----\n`;
}

function randomSerial(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0]! & 0x7f) | 0x01; // positive, and no leading zero byte
  return Buffer.from(bytes).toString('hex');
}

function isIpAddress(name: string): boolean {
  return /^[0-9.]+$/.test(name) || name.includes(':');
}

function isDnsName(name: string): boolean {
  return !isIpAddress(name) && /^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(name);
}

/** A PEM file's text, or a RocketError that names the file and what it should have held. */
export function readPemFile(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new RocketError('ROCKET_ERR_TLS', `Cannot read the ${what} ${file}: ${describeFsError(err)}`, {
      cause: err,
    });
  }
}

function readIfThere(file: string, what: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new RocketError('ROCKET_ERR_TLS', `Cannot read the ${what} ${file}: ${describeFsError(err)}`, {
      cause: err,
    });
  }
}

/** Fails early, with both file names, on a file that is not PEM or a key that belongs to another certificate. */
function checkPair(pair: CertificatePair, certFile: string, keyFile: string): void {
  let certificate: NodeX509Certificate;
  try {
    certificate = new NodeX509Certificate(pair.cert);
  } catch (err) {
    throw new RocketError('ROCKET_ERR_TLS', `Cannot use ${certFile}: it is not a PEM certificate`, {
      cause: err,
    });
  }
  try {
    createSecureContext({ cert: pair.cert, key: pair.key });
    // OpenSSL only compares keys of the same type: an EC key with an RSA certificate passes
    // the context and then fails every handshake ("no suitable signature algorithm").
    if (!certificate.checkPrivateKey(createPrivateKey(pair.key))) throw new Error('key values mismatch');
  } catch (err) {
    const mismatch = /key values mismatch/i.test(messageOf(err));
    throw new RocketError(
      'ROCKET_ERR_TLS',
      mismatch
        ? `Cannot use ${certFile} with ${keyFile}: the key does not belong to the certificate`
        : `Cannot use ${keyFile}: it is not a PEM private key (${messageOf(err)})`,
      { cause: err },
    );
  }
}

function describeFsError(err: unknown): string {
  switch ((err as NodeJS.ErrnoException).code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'it is a folder';
    default:
      return messageOf(err);
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

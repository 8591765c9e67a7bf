import { RocketError } from '../errors.js';
import { serviceNamesForPort } from '../netutil/services.js';

type Protocol = 'tcp' | 'udp' | 'tls';

function errnoOf(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err
    ? String((err as { code: unknown }).code)
    : undefined;
}

/** The address a socket bound to every interface reports ("::" or "0.0.0.0"). */
export function isWildcardAddress(address: string | undefined): boolean {
  return address === '::' || address === '0.0.0.0';
}

/** Formats host:port, bracketing IPv6 literals. */
export function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Turns a bind/listen failure into a sentence that says what to do next. */
export function describeListenError(
  err: unknown,
  host: string | undefined,
  port: number,
  protocol: Protocol,
): RocketError {
  const where = host ? formatHostPort(host, port) : `port ${port}`;
  const action = `Cannot listen on ${where} (${protocol})`;
  switch (errnoOf(err)) {
    case 'EADDRINUSE': {
      const usual = serviceNamesForPort(port, protocol === 'udp' ? 'udp' : 'tcp');
      const owner = usual.length > 0 ? ` (it is usually ${usual.slice(0, 3).join('/')})` : '';
      return new RocketError(
        'ROCKET_ERR_PORT_IN_USE',
        `${action}: port ${port} is already in use${owner}; pick another, e.g. from \`rocket port --free\``,
        { cause: err },
      );
    }
    case 'EACCES':
    case 'EPERM':
      return new RocketError(
        'ROCKET_ERR_PORT_PRIVILEGED',
        port < 1024
          ? `${action}: ports 0-1023 are reserved for system services and need administrator rights; use a port from 1024 to 65535, e.g. 8888`
          : `${action}: permission denied`,
        { cause: err },
      );
    case 'EADDRNOTAVAIL':
      return new RocketError(
        'ROCKET_ERR_ADDRESS_NOT_LOCAL',
        `${action}: ${host} is not an address of this machine; see \`rocket ip\` for the ones it has, or leave out --host`,
        { cause: err },
      );
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new RocketError('ROCKET_ERR_UNKNOWN_HOST', `${action}: unknown host "${host}"`, { cause: err });
    default:
      return new RocketError('ROCKET_ERR_IO', `${action}: ${messageOf(err)}`, { cause: err });
  }
}

/** Turns a connect/send failure into a sentence a person understands. */
export function describeConnectError(
  err: unknown,
  host: string,
  port: number,
  protocol: Protocol,
): RocketError {
  const action = `Cannot connect to ${formatHostPort(host, port)} (${protocol})`;
  switch (errnoOf(err)) {
    case 'ECONNREFUSED':
      return new RocketError(
        'ROCKET_ERR_REFUSED',
        `${action}: nobody is listening on ${formatHostPort(host, port)}`,
        {
          cause: err,
        },
      );
    case 'ENOTFOUND':
    case 'EAI_NONAME':
    case 'EAI_AGAIN':
    case 'EAI_FAIL':
      return new RocketError(
        'ROCKET_ERR_UNKNOWN_HOST',
        `${action}: unknown host "${host}"; check the name, or use an IP address`,
        { cause: err },
      );
    case 'ETIMEDOUT':
    case 'ROCKET_ERR_TIMEOUT':
      return new RocketError(
        'ROCKET_ERR_TIMEOUT',
        `${action}: no answer (timed out); check the address and that no firewall is in the way`,
        { cause: err },
      );
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EHOSTDOWN':
    case 'ENETDOWN':
      return new RocketError('ROCKET_ERR_UNREACHABLE', `${action}: the host cannot be reached from here`, {
        cause: err,
      });
    case 'ECONNRESET':
    case 'EPIPE':
      return new RocketError(
        'ROCKET_ERR_CONNECTION_LOST',
        `${action}: the connection was reset by the peer`,
        {
          cause: err,
        },
      );
    default:
      return new RocketError('ROCKET_ERR_IO', `${action}: ${messageOf(err)}`, { cause: err });
  }
}

/** A peer that vanished mid-conversation, in words. */
export function describeLostPeer(err: unknown): string {
  switch (errnoOf(err)) {
    case 'ECONNRESET':
      return 'connection reset by peer';
    case 'EPIPE':
      return 'peer stopped reading (broken pipe)';
    case 'ETIMEDOUT':
      return 'connection timed out';
    case 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED':
      // TLS 1.3 finishes the client's handshake before the room has checked its certificate.
      return 'the room asks for a client certificate: give yours with --cert and --key';
    case 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA':
    case 'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE':
      return 'the room did not accept your client certificate';
    default:
      return messageOf(err);
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

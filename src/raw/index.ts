/**
 * Raw mode (`--raw`): a byte-exact pipe between standard input/output and a TCP or UDP peer,
 * like netcat. The CLI's connect and listen commands call these.
 */
export { rawConnect } from './connect.js';
export { MAX_QUEUED_CONNECTIONS, rawListen } from './listen.js';
export { formatBytes, formatSummary } from './progress.js';
export { stdoutWaitsForReader } from './stdio.js';
export type { RawCommonOptions, RawConnectOptions, RawListenOptions, RawPeer, RawStats } from './types.js';
export { MAX_DATAGRAM_BYTES, OUTPUT_BACKLOG_CAP_BYTES, rawConnectUdp, rawListenUdp } from './udp.js';

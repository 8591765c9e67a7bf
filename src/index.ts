/**
 * rocket as a library: everything the CLI does is a call here.
 *
 * @example
 * import { startRoomServer, connectChat } from 'rocket-chat';
 * const server = await startRoomServer({ port: 8888 });
 * const client = await connectChat({ host: 'localhost', port: 8888, nick: 'peppa' });
 * client.on('event', (event) => console.log(event));
 * client.say('hello George');
 */
export { LocalMember } from './chat/local-member.js';
export type { Member } from './chat/member.js';
export { Room } from './chat/room.js';
export { ChatClient, type ChatClientOptions, connectChat } from './client/chat-client.js';
export type { ChatConnection, ClientMode, CloseInfo } from './client/types.js';
export { connectUdpChat, UdpChatClient, type UdpChatClientOptions } from './client/udp-chat-client.js';
export { isRocketError, RocketError, type RocketErrorCode, UsageError } from './errors.js';
export * from './netutil/index.js';
export { checkEncoding, createTextDecoder, type EncodingPair, encodeText } from './protocol/codec.js';
export type { ChatEvent, ClientRequest, MessageEvent } from './protocol/events.js';
export { renderEvent } from './protocol/render.js';
export { rawConnect, rawListen } from './raw/index.js';
export type { RawConnectOptions, RawListenOptions, RawStats } from './raw/types.js';
export { type RoomServer, type RoomServerOptions, startRoomServer } from './server/room-server.js';
export {
  certificateFingerprint,
  createSelfSignedCertificate,
  loadServerCertificate,
  parseFingerprint,
  type ServerCertificate,
} from './transport/certificates.js';
export { KnownHosts, knownHostsPath, type PinResult } from './transport/known-hosts.js';
export {
  connectTls,
  listenTls,
  type TlsClientOptions,
  type TlsServerOptions,
  type TlsVersion,
} from './transport/tls.js';
export { VERSION } from './version.js';

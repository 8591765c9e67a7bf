// Network diagnostics: re-exports only. One concern per file; see each for the why.
export {
  type AddressClass,
  type AddressKind,
  classifyAddress,
  prefixLengthOfNetmask,
} from './address-class.js';
export { type InterfaceAddress, listInterfaces } from './interfaces.js';
export { DEFAULT_PING_PORT, type PingOptions, type PingProbe, pingHost } from './ping.js';
export { type PingSummary, PingTally, type RttStats, summarizePings } from './ping-stats.js';
export { formatPortList, parsePortList } from './port-list.js';
export {
  AVAILABILITY_LABELS,
  checkPort,
  findFreePort,
  type PortAvailability,
  type PortCheckOptions,
} from './port-status.js';
export {
  classifyPort,
  describePort,
  isPort,
  MAX_PORT,
  PORT_RANGES,
  type PortClass,
  type PortInfo,
  type PortRange,
  parsePortNumber,
} from './ports.js';
export type { ProbeOptions, ProbeResult, ProbeState } from './probe-result.js';
export { type ResolvedHost, resolveHost } from './resolve.js';
export {
  DEFAULT_SCAN_CONCURRENCY,
  MAX_SCAN_CONCURRENCY,
  type PortState,
  type ScanOptions,
  type ScanResult,
  scanPorts,
} from './scan.js';
export {
  lookupService,
  type ServiceEntry,
  type ServicePorts,
  serviceNamesForPort,
  servicesForPort,
  servicesSource,
  suggestServiceNames,
} from './services.js';
export { probeTcp } from './tcp-probe.js';
export { UdpPinger } from './udp-pinger.js';

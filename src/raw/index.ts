import { RocketError } from '../errors.js';
import type { RawConnectOptions, RawListenOptions, RawStats } from './types.js';

export type { RawConnectOptions, RawListenOptions, RawStats } from './types.js';

// Placeholder until the raw relay lands.
export async function rawConnect(_options: RawConnectOptions): Promise<RawStats> {
  throw new RocketError('ROCKET_ERR_IO', 'raw mode is not built yet');
}

export async function rawListen(_options: RawListenOptions): Promise<RawStats> {
  throw new RocketError('ROCKET_ERR_IO', 'raw mode is not built yet');
}

import { InvalidArgumentError } from 'commander';

/** Option parsers shared by the subcommands: they reject bad values before any socket opens. */
export function parsePort(value: string): number {
  if (!/^\d+$/.test(value.trim())) {
    throw new InvalidArgumentError(
      `"${value}" is not a port number: use a whole number from 0 to 65535, e.g. 8888`,
    );
  }
  const port = Number(value);
  if (port > 65535) {
    throw new InvalidArgumentError(`port ${port} is out of range: ports go from 0 to 65535, e.g. 8888`);
  }
  return port;
}

export function parseSeconds(value: string): number {
  const seconds = Number(value);
  if (value.trim() === '' || !Number.isFinite(seconds) || seconds < 0) {
    throw new InvalidArgumentError(`"${value}" is not a number of seconds: use e.g. 1 or 0.5`);
  }
  return seconds;
}

export function parsePositiveInt(value: string): number {
  if (!/^\d+$/.test(value.trim()) || Number(value) < 1) {
    throw new InvalidArgumentError(`"${value}" is not a positive whole number`);
  }
  return Number(value);
}

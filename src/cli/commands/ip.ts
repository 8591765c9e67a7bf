import type { Command } from 'commander';

// Placeholder until the netutil work lands.
export function registerIp(_program: Command): void {}

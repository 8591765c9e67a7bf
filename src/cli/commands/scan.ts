import type { Command } from 'commander';

// Placeholder until the netutil work lands.
export function registerScan(_program: Command): void {}

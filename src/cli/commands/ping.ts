import type { Command } from 'commander';

// Placeholder until the netutil work lands.
export function registerPing(_program: Command): void {}

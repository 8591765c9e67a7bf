import type { Command } from 'commander';

// Placeholder until the netutil work lands.
export function registerPort(_program: Command): void {}

import type { Command } from 'commander';
import { registerConnect } from './connect.js';
import { registerInbox } from './inbox.js';
import { registerIp } from './ip.js';
import { registerListen } from './listen.js';
import { registerPing } from './ping.js';
import { registerPort } from './port.js';
import { registerScan } from './scan.js';
import { registerSend } from './send.js';

/** Each subcommand lives in its own file; this is the table of them. */
export function registerCommands(program: Command): void {
  registerListen(program);
  registerConnect(program);
  registerSend(program);
  registerInbox(program);
  registerIp(program);
  registerPort(program);
  registerPing(program);
  registerScan(program);
}

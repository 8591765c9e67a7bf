import { homedir, platform } from 'node:os';
import { join } from 'node:path';

/**
 * The per-user data folder of the platform: $XDG_DATA_HOME/rocket (default
 * ~/.local/share/rocket) on Linux and BSDs, ~/Library/Application Support/rocket on macOS,
 * %LOCALAPPDATA%\rocket on Windows.
 */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  switch (platform()) {
    case 'darwin':
      return join(homedir(), 'Library', 'Application Support', 'rocket');
    case 'win32':
      return join(env.LOCALAPPDATA ?? join(homedir(), 'AppData', 'Local'), 'rocket');
    default:
      return join(env.XDG_DATA_HOME || join(homedir(), '.local', 'share'), 'rocket');
  }
}

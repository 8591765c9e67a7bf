/**
 * Ctrl-C (SIGINT) and SIGTERM as an AbortSignal, so a raw transfer stops cleanly and still
 * prints its summary line instead of dying mid-write.
 */
export function abortOnSignals(): AbortSignal {
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return controller.signal;
}

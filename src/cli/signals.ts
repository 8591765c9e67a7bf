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

/**
 * The abort signal for a raw transfer to stdout. On a pipe, raw mode writes the way nc does
 * and can sit inside write(2) while the reader is not reading (`| less` left alone), where a
 * handler of ours would never run; there Ctrl-C and SIGTERM keep their default action and
 * end rocket at once, as they end nc. Elsewhere they stop it cleanly, with its summary line.
 */
export function rawAbortSignal(outputWaitsForReader: boolean): AbortSignal | undefined {
  return outputWaitsForReader ? undefined : abortOnSignals();
}

import { PerformanceObserver } from 'node:perf_hooks';
import v8 from 'node:v8';

/**
 * New space V8 may grow to in a room process: 8 MiB (two 4 MiB semi-spaces), where it would
 * otherwise grow to 32 MiB.
 *
 * A burst of joins is a burst of objects that survive (sockets, sessions), which is what makes
 * V8 double its young generation, 1 MiB at a time up to 32; it keeps that memory afterwards.
 * With 10,000 idle clients (bench/, "idle RSS") the room held 137-141 MiB with the default,
 * 117-120 with new space held at 8 MiB and 112 at 1 MiB; server CPU per delivered line at
 * 1,000 clients was the same at 8 MiB, and up to a tenth more at 1 MiB (more scavenges).
 */
export const ROOM_NEW_SPACE_MIB = 8;

/**
 * Stops the young generation from growing past `maxMiB` (rounded up to a doubling of its
 * 1 MiB start). The usual way is Node's `--max-semi-space-size` flag, but a flag on the
 * command line is lost when rocket is started as `rocket` (the bin's `#!/usr/bin/env node`
 * line takes no arguments portably), and V8 reads that one only at start. The growth factor
 * it does read each time the space grows, so once new space has reached the size the factor
 * is set to 1. Process-wide, so only the CLI's `listen` calls it, not the library.
 */
export function limitYoungGeneration(maxMiB: number = ROOM_NEW_SPACE_MIB): void {
  if (newSpaceMiB() === undefined) return; // a V8 without a space of that name: left as it is
  const reached = (): boolean => (newSpaceMiB() ?? 0) >= maxMiB;
  const stopGrowing = (): void => v8.setFlagsFromString('--semi-space-growth-factor=1');
  if (reached()) {
    stopGrowing();
    return;
  }
  // Growth happens in a scavenge, so a look after each one catches it at the step it happens.
  const observer = new PerformanceObserver(() => {
    if (!reached()) return;
    stopGrowing();
    observer.disconnect();
  });
  observer.observe({ entryTypes: ['gc'] });
}

function newSpaceMiB(): number | undefined {
  const space = v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
  return space === undefined ? undefined : space.space_size / (1024 * 1024);
}

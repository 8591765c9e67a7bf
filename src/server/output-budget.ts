/** A member whose output may wait in the room's memory. */
export interface BehindMember {
  /** Bytes written to it that it has not read yet. */
  readonly queuedOutputBytes: number;
  /** Drops it as too far behind, as its own cap does. */
  dropAsTooFarBehind(): void;
}

/** Room-wide output waiting for members, at most (see OutputBudget). */
export const DEFAULT_OUTPUT_BUDGET_BYTES = 256 * 1024 * 1024;
const CHECK_EVERY_MS = 500;

/**
 * A bound on all the output a room holds for its members. Each member may fall 8 MiB
 * behind before it is dropped, but hundreds of members each somewhat behind (400 flooders
 * that also read, slowly) held 800 MB (found by a flood drill). Twice a second the waiting
 * output is added up; over the budget, the members furthest behind are dropped as too far
 * behind until it is back under three quarters of the budget.
 */
export class OutputBudget {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly members: () => Iterable<BehindMember>,
    private readonly budgetBytes = DEFAULT_OUTPUT_BUDGET_BYTES,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => this.check(), CHECK_EVERY_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Returns how many members were dropped. */
  check(): number {
    let total = 0;
    const behind: Array<{ member: BehindMember; queued: number }> = [];
    for (const member of this.members()) {
      const queued = member.queuedOutputBytes;
      total += queued;
      if (queued > 0) behind.push({ member, queued });
    }
    if (total <= this.budgetBytes) return 0;
    // Sorted only when over budget, which a room that keeps up never is.
    behind.sort((a, b) => b.queued - a.queued);
    let dropped = 0;
    for (const { member, queued } of behind) {
      if (total <= this.budgetBytes * 0.75) break;
      total -= queued;
      member.dropAsTooFarBehind();
      dropped += 1;
    }
    return dropped;
  }
}

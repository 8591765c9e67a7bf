/**
 * Guesses at a secret, made expensive to repeat. Each check of a secret costs tens of
 * milliseconds of scrypt on the thread pool, so a handful of connections repeating /login
 * could keep a server's cores busy and make every real login wait. Per address:
 * - at most MAX_CHECKS_AT_ONCE checks run at once; more wait their turn;
 * - from the FREE_FAILURES-th failed login on (failures less than FAILURE_WINDOW_MS apart),
 *   each failure shuts the address out for a while: 2 s at first, doubling with each further
 *   failure up to 5 minutes; logins meanwhile are refused without a check.
 * A successful login forgets the address's failures. Members without an address (the
 * person at the server's terminal) are never throttled.
 */
const MAX_CHECKS_AT_ONCE = 2;
const FREE_FAILURES = 5;
const FAILURE_WINDOW_MS = 10 * 60_000;
const FIRST_COOLDOWN_MS = 2000;
const MAX_COOLDOWN_MS = 5 * 60_000;
/** Past this many remembered addresses, failed() also drops the ones with nothing recent. */
const SWEEP_FROM_ADDRESSES = 10_000;

interface AddressRecord {
  failures: number;
  lastFailure: number;
  cooldownMs: number;
  blockedUntil: number;
  running: number;
  waiting: Array<() => void>;
}

export class LoginThrottle {
  private readonly addresses = new Map<string, AddressRecord>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Why a login from `address` is refused without a check right now, or undefined. */
  refusal(address: string | undefined): string | undefined {
    if (address === undefined) return undefined;
    const record = this.addresses.get(address);
    if (record === undefined) return undefined;
    const left = record.blockedUntil - this.now();
    if (left <= 0) return undefined;
    return `too many failed logins from ${address}; try again in ${Math.ceil(left / 1000)} s`;
  }

  /** Runs one secret check when the address's turn comes (see MAX_CHECKS_AT_ONCE). */
  async check<T>(address: string | undefined, run: () => Promise<T>): Promise<T> {
    if (address === undefined) return run();
    const record = this.recordOf(address);
    if (record.running >= MAX_CHECKS_AT_ONCE)
      await new Promise<void>((resolve) => record.waiting.push(resolve));
    record.running += 1;
    try {
      return await run();
    } finally {
      record.running -= 1;
      record.waiting.shift()?.();
      this.forgetIfIdle(address, record);
    }
  }

  failed(address: string | undefined): void {
    if (address === undefined) return;
    const record = this.recordOf(address);
    const now = this.now();
    if (now - record.lastFailure > FAILURE_WINDOW_MS) {
      record.failures = 0;
      record.cooldownMs = 0;
    }
    record.failures += 1;
    record.lastFailure = now;
    if (record.failures >= FREE_FAILURES) {
      record.cooldownMs = Math.min(
        MAX_COOLDOWN_MS,
        record.cooldownMs === 0 ? FIRST_COOLDOWN_MS : record.cooldownMs * 2,
      );
      record.blockedUntil = now + record.cooldownMs;
    }
    if (this.addresses.size > SWEEP_FROM_ADDRESSES) this.sweep();
  }

  succeeded(address: string | undefined): void {
    if (address === undefined) return;
    const record = this.addresses.get(address);
    if (record === undefined) return;
    record.failures = 0;
    record.lastFailure = 0;
    record.cooldownMs = 0;
    record.blockedUntil = 0;
    this.forgetIfIdle(address, record);
  }

  private recordOf(address: string): AddressRecord {
    let record = this.addresses.get(address);
    if (record === undefined) {
      record = { failures: 0, lastFailure: 0, cooldownMs: 0, blockedUntil: 0, running: 0, waiting: [] };
      this.addresses.set(address, record);
    }
    return record;
  }

  /** Addresses with nothing to remember are dropped, so the map holds only recent trouble. */
  private forgetIfIdle(address: string, record: AddressRecord): void {
    const now = this.now();
    const busy = record.running > 0 || record.waiting.length > 0;
    if (!busy && now - record.lastFailure > FAILURE_WINDOW_MS && record.blockedUntil <= now)
      this.addresses.delete(address);
  }

  private sweep(): void {
    for (const [address, record] of this.addresses) this.forgetIfIdle(address, record);
  }
}

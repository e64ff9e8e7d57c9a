/**
 * Failed-login limiter per client IP, on top of the per-account lockout: it stops one address
 * from trying passwords across many accounts (or unknown e-mails, which have no account to lock).
 * In memory, per portal process: enough for one portal; a restart forgives.
 */
export const maxFailuresPerIp = 20;
export const ipWindowMs = 15 * 60_000;

export class FailureLimiter {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly max = maxFailuresPerIp,
    private readonly windowMs = ipWindowMs,
  ) {}

  private recent(key: string, now: number): number[] {
    const list = (this.failures.get(key) ?? []).filter((t) => now - t < this.windowMs);
    if (list.length) this.failures.set(key, list);
    else this.failures.delete(key);
    return list;
  }

  blocked(key: string | null | undefined, now = Date.now()): boolean {
    return !!key && this.recent(key, now).length >= this.max;
  }

  fail(key: string | null | undefined, now = Date.now()): void {
    if (!key) return;
    this.failures.set(key, [...this.recent(key, now), now]);
  }
}

/** The portal's limiter for login failures by IP. */
export const loginFailuresByIp = new FailureLimiter();

/**
 * A small in-process rate limiter for the public pages (no login): a fixed window per key (client
 * IP). One portal process serves them, so memory is enough; a restart forgets, which is harmless.
 */
export class RateLimiter {
  private readonly hits = new Map<string, { windowStart: number; count: number }>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  /** true when the key may go on (and counts the hit). */
  allow(key: string, now = Date.now()): boolean {
    const entry = this.hits.get(key);
    if (!entry || now - entry.windowStart >= this.windowMs) {
      if (this.hits.size > 10_000) this.prune(now);
      this.hits.set(key, { windowStart: now, count: 1 });
      return true;
    }
    entry.count += 1;
    return entry.count <= this.limit;
  }

  private prune(now: number): void {
    for (const [key, e] of this.hits) if (now - e.windowStart >= this.windowMs) this.hits.delete(key);
  }
}

/** Public activation submissions: 5 per IP per 10 minutes. */
export const publicSubmissionLimiter = new RateLimiter(5, 10 * 60_000);
/** Live address checks while typing: 120 per IP per minute. */
export const availabilityLimiter = new RateLimiter(120, 60_000);

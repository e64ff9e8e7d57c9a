/**
 * Reception before submission. Bustas and receipts arriving from providers (and our own receipts
 * delivered in-process) finish messages already accepted: each one brings a sender's evidence
 * closer. A new submission only adds work. When the MTA is busier than it can keep up with, new
 * submissions therefore wait, for a bounded time, while the reception point has more than a few
 * transactions in progress; the same idea as Postfix's in_flow_delay, which keeps mail from
 * arriving faster than it is delivered. Without it, a burst of submissions fills the queues and
 * every sender waits seconds for the consegna of a message accepted in milliseconds.
 *
 * Waiting happens before the message is processed (nothing is written yet) and never longer than
 * `maxDelayMs`, so a provider flooding us can slow our users' submissions but never stop them.
 */
export interface InflowOptions {
  /** Reception transactions in progress above which a submission waits. */
  maxInbound: number;
  /** Longest wait of one submission; 0 disables the gate. */
  maxDelayMs: number;
}

export class InflowGate {
  private inbound = 0;
  /** Waiting submissions, first come first served. */
  private readonly waiting: (() => void)[] = [];
  /** Submissions that waited, and how long in total (for /metrics and the bench). */
  readonly stats = { delayed: 0, delayedMs: 0 };

  constructor(private readonly options: InflowOptions) {}

  /** Runs one reception transaction, counted while it is in progress. */
  async reception<T>(work: () => Promise<T>): Promise<T> {
    this.inbound++;
    try {
      return await work();
    } finally {
      this.inbound--;
      // One finished reception admits one waiting submission (like a Postfix in_flow token), so a
      // crowd of waiters does not all start at once and refill the queues.
      if (this.inbound <= this.options.maxInbound) this.waiting.shift()?.();
    }
  }

  /** Resolves once reception is within its limit, or after maxDelayMs; returns the ms waited. */
  async admitSubmission(): Promise<number> {
    if (this.options.maxDelayMs <= 0 || this.inbound <= this.options.maxInbound) return 0;
    const started = Date.now();
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        const at = this.waiting.indexOf(done);
        if (at >= 0) this.waiting.splice(at, 1);
        resolve();
      };
      const timer = setTimeout(done, this.options.maxDelayMs);
      this.waiting.push(done);
    });
    const waited = Date.now() - started;
    this.stats.delayed++;
    this.stats.delayedMs += waited;
    return waited;
  }
}

/**
 * Natural batching of one kind of statement: the first item goes at once; items arriving while a
 * batch is in flight wait, and all of them go together as the next batch when it returns. No
 * timer, so an idle MTA adds no latency, and a busy one pays one round trip (and one transaction)
 * for many items. Each caller gets its own result; a failed batch rejects every caller in it.
 */
export class NaturalBatch<I, O> {
  private waiting: { item: I; resolve: (o: O) => void; reject: (err: unknown) => void }[] = [];
  private running = false;

  constructor(
    /** runs one batch; returns one result per item, in order */
    private readonly run: (items: I[]) => Promise<O[]>,
    private readonly maxItems = 200,
  ) {}

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      if (!this.running) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.running = true;
    while (this.waiting.length > 0) {
      const batch = this.waiting.splice(0, this.maxItems);
      try {
        const results = await this.run(batch.map((w) => w.item));
        if (results.length !== batch.length)
          throw new Error(`batch returned ${results.length} results for ${batch.length} items`);
        batch.forEach((w, i) => w.resolve(results[i]));
      } catch (err) {
        for (const w of batch) w.reject(err);
      }
    }
    this.running = false;
  }
}

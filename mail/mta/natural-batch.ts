/**
 * Natural batching of one kind of statement: the first item goes at once; items arriving while a
 * batch is in flight wait, and all of them go together as the next batch when it returns. No
 * timer, so an idle MTA adds no latency, and a busy one pays one round trip (and one transaction)
 * for many items. Each caller gets its own result.
 *
 * A failed batch of several items is run again item by item: one bad item (a value the database
 * refuses) then fails only its own caller, not the messages that happened to share its batch. The
 * runners are single atomic statements or idempotent ones, so running an item again is safe; when
 * the database itself is down, every item fails again and every caller hears of it.
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
      let results: O[];
      try {
        results = await this.run(batch.map((w) => w.item));
      } catch (err) {
        if (batch.length === 1) batch[0].reject(err);
        else await Promise.all(batch.map((w) => this.runAlone(w)));
        continue;
      }
      // a runner answering the wrong count is a bug, not bad input: no item is trusted
      if (results.length !== batch.length) {
        const err = new Error(`batch returned ${results.length} results for ${batch.length} items`);
        for (const w of batch) w.reject(err);
      } else batch.forEach((w, i) => w.resolve(results[i]));
    }
    this.running = false;
  }

  private async runAlone(w: {
    item: I;
    resolve: (o: O) => void;
    reject: (err: unknown) => void;
  }): Promise<void> {
    try {
      const results = await this.run([w.item]);
      if (results.length !== 1) throw new Error(`batch returned ${results.length} results for 1 items`);
      w.resolve(results[0]);
    } catch (err) {
      w.reject(err);
    }
  }
}

/**
 * Runs worker(0) … worker(n - 1) with `concurrency` of them in flight at a time, each worker taking
 * the next index as soon as its previous one is done: the closed-loop clients of the benches.
 */
export async function runPool(
  n: number,
  concurrency: number,
  worker: (i: number) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) await worker(next++);
    }),
  );
}

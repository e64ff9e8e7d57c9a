/**
 * Group commit of directory fsyncs. A rename is durable once its directory is fsynced; when many
 * deliveries rename into the same directory at once, one fsync can stand for all of them. The
 * rule: an fsync covers a caller only if it began after that caller's rename. So a caller arriving
 * while no fsync of the directory runs starts one at once; a caller arriving while one runs waits
 * for the next, which starts when the running one ends and serves everyone who arrived meanwhile.
 */
import { fsyncDirectory } from './file-io';

interface Waiters {
  promise: Promise<void>;
  resolve: () => void;
  reject: (err: unknown) => void;
}

interface DirectoryState {
  /** Callers waiting for the fsync after the one running now; null when nobody is waiting. */
  next: Waiters | null;
}

/** Directories with an fsync in flight (absent: none runs, the next caller starts one). */
const running = new Map<string, DirectoryState>();
/** fsyncs begun and ended in this process (tests and diagnostics: how much grouping saves). */
const counts = { started: 0, completed: 0 };

export function directorySyncCounts(): Readonly<typeof counts> {
  return { ...counts };
}

function waiters(): Waiters {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

function start(dir: string, state: DirectoryState, served: Waiters): void {
  counts.started++;
  const ended = () => counts.completed++;
  fsyncDirectory(dir)
    .finally(ended)
    .then(served.resolve, served.reject)
    .finally(() => {
      const next = state.next;
      if (next) {
        state.next = null;
        start(dir, state, next);
      } else running.delete(dir);
    });
}

/**
 * Resolves once an fsync of `dir` that began after this call has completed: call it after the
 * renames (or unlinks) into `dir` that must survive a crash. A failed fsync rejects every caller it
 * would have served.
 */
export function syncDirectory(dir: string): Promise<void> {
  const state = running.get(dir);
  if (state) {
    state.next ??= waiters();
    return state.next.promise;
  }
  const fresh: DirectoryState = { next: null };
  running.set(dir, fresh);
  const served = waiters();
  start(dir, fresh, served);
  return served.promise;
}

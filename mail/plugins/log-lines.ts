/**
 * Haraka writes each log line to stdout with a write(2) of its own, and each one wakes whatever
 * reads the other end (journald, Docker's log driver, `npm start`): at the default level that is
 * about 15 lines per exchanged PEC message in the sender's MTA and 5 in the recipient's, measured
 * with strace. LogLines gathers lines and writes them together, at most `flushAfterMs` after the
 * first one, or at once past `maxBytes`. What is pending is written by `flush()`; the plugin calls
 * it when the process exits, so only a SIGKILL can lose the last lines (the transmission log, not
 * stdout, is the record of what happened to a message).
 */
export interface LogLinesOptions {
  /** Longest a line waits before it is written. */
  flushAfterMs: number;
  /** Pending text beyond which it is written at once, counted in UTF-16 units (bytes for ASCII log lines). */
  maxBytes: number;
}

export const defaultLogLinesOptions: LogLinesOptions = { flushAfterMs: 100, maxBytes: 64 * 1024 };

export class LogLines {
  private pending: string[] = [];
  private pendingBytes = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly write: (text: string) => void,
    private readonly options: LogLinesOptions = defaultLogLinesOptions,
  ) {}

  /** Queues one line (without its newline). */
  add(line: string): void {
    this.pending.push(line);
    this.pendingBytes += line.length + 1;
    if (this.pendingBytes >= this.options.maxBytes) return this.flush();
    if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), this.options.flushAfterMs);
      // A pending line must not keep a stopping process alive: exit flushes it.
      this.timer.unref();
    }
  }

  /** Writes every pending line now, in one write. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length === 0) return;
    const text = `${this.pending.join('\n')}\n`;
    this.pending = [];
    this.pendingBytes = 0;
    this.write(text);
  }
}

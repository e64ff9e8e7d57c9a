/**
 * Haraka writes each log line to stdout by itself: one synchronous write per line, and whoever
 * reads the pipe (`npm start`, Docker, journald) woken for each, about fifteen lines per message
 * at the sender. Here the lines of one event-loop turn go out together, in order, in one write.
 * A process that exits writes what it holds first; one killed outright loses at most that turn.
 */
let pending: string[] = [];

/** Queues `line` (ending in a newline) for this turn's write. */
export function writeLogLine(line: string): void {
  if (pending.length === 0) setImmediate(flushLogLines);
  pending.push(line);
}

/** Writes the lines queued so far (stdout is synchronous for files and pipes, so `exit` can call it). */
export function flushLogLines(): void {
  if (pending.length === 0) return;
  const text = pending.join('');
  pending = [];
  process.stdout.write(text);
}

process.once('exit', flushLogLines);

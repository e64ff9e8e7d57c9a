/**
 * The file calls of the mail paths (Maildir deliveries, the outbound spool, directory fsyncs, the
 * archive of originals).
 *
 * Only the calls that wait on the disk — an O_DSYNC write, an fsync — go to libuv's thread pool.
 * Metadata calls (open, close, rename, link, unlink, access) are made synchronously, as Postfix and
 * Dovecot make them: each takes 10-40 µs of CPU, while a trip through the thread pool adds about
 * 45 µs more (futex wake-ups, a context switch to a pool thread and one back to the event loop;
 * measured on these 2-core VMs with `process.cpuUsage`, 52 against 9 µs for a stat), and one
 * exchanged message makes about 35 of them between the two MTAs.
 */
import { closeSync, constants as fsConstants, fsync, ftruncateSync, openSync, unlinkSync, writev } from 'node:fs';

/** Bytes in a list of buffers. */
export const sizeOf = (chunks: readonly Buffer[]) => chunks.reduce((n, c) => n + c.length, 0);

/** Up to this size a file is written synchronously when it need not be durable (page cache only). */
export const syncWriteMaxBytes = 256 * 1024;

function writevAll(fd: number, buffers: readonly Buffer[]): Promise<number> {
  return new Promise((resolve, reject) => {
    // libuv writes every buffer (it loops on short writes and IOV_MAX): one trip to the thread pool.
    writev(fd, buffers as Buffer[], (err, written) => (err ? reject(err) : resolve(written)));
  });
}

/**
 * How writeFileDurably opens its file: `new` must not exist (O_EXCL); `replace` is created or
 * truncated; `existing` must exist and is written over in place. Only `existing` opens without
 * O_CREAT, which takes the folder's lock (on ext4 it waits for any fsync of the same folder in
 * progress: 280-450 µs per open of a spool file under the bench, strace), and without O_TRUNC:
 * the file is cut to its new length and written over, so its blocks are reused instead of freed
 * and allocated again (measured here for 8 KB files: 105-150 µs of CPU against 225-460 µs).
 */
export type DurableOpen = 'new' | 'replace' | 'existing';

/**
 * Writes `buffers` to `file` (mode 0600) and returns once they are on disk: O_DSYNC makes the one
 * write wait for the disk, as write + fdatasync would. A failed write leaves no file behind.
 */
export async function writeFileDurably(
  file: string,
  buffers: readonly Buffer[],
  open: DurableOpen,
): Promise<void> {
  const { O_WRONLY, O_CREAT, O_TRUNC, O_EXCL, O_DSYNC } = fsConstants;
  const how = { new: O_CREAT | O_EXCL, replace: O_CREAT | O_TRUNC, existing: 0 }[open];
  const fd = openSync(file, O_WRONLY | O_DSYNC | how, 0o600);
  try {
    const expected = sizeOf(buffers);
    // Before the write, so the O_DSYNC write makes the new length durable with the bytes.
    if (open === 'existing') ftruncateSync(fd, expected);
    const written = await writevAll(fd, buffers);
    if (written !== expected) throw new Error(`short write to ${file}: ${written} of ${expected} bytes`);
  } catch (err) {
    // Neither cleanup step may hide the write's error or skip the other.
    try {
      closeSync(fd);
    } catch {
      // the descriptor is released either way
    }
    try {
      unlinkSync(file);
    } catch {
      // already gone: nothing left behind either way
    }
    throw err;
  }
  closeSync(fd);
}

/** fsync of a directory, so the names created, renamed or removed in it survive a crash. */
export async function fsyncDirectory(dir: string): Promise<void> {
  const fd = openSync(dir, fsConstants.O_RDONLY | fsConstants.O_DIRECTORY);
  try {
    await new Promise<void>((resolve, reject) => fsync(fd, (err) => (err ? reject(err) : resolve())));
  } finally {
    closeSync(fd);
  }
}

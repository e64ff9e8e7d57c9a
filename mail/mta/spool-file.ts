/**
 * On-disk format of a spool entry: one file, `<id>.msg`, holding a one-line JSON header and then
 * the message bytes, so an entry costs one open/write/fsync/close/rename and one unlink. A batch
 * (entries that must exist together) is one file holding every member's envelope and bytes in turn,
 * hard-linked under each member's name: each member reads its own part, and the bytes stay on disk
 * until the last member has left.
 */
import { promises as fs } from 'node:fs';
import { sizeOf, writeFileDurably, type DurableOpen } from './file-io';

/** An entry's envelope and state as the spool keeps it. */
export interface SpoolEntry {
  id: string;
  from: string;
  /** Recipients still to deliver. */
  to: string[];
  attempts: number;
  createdAt: string;
  nextAttemptAt: string;
  /** Free-form label for logs (e.g. the PEC message kind). */
  label?: string;
  /** What the message belongs to (e.g. the PEC identificativo), handed back in outcomes. */
  ref?: string;
  /** Enqueued under an idempotency key: a tombstone remembers it once it has left. */
  keyed?: boolean;
  /**
   * Recipients given up on (refused, or expired in the queue) whose outcome the spool's observer
   * could not record yet (its database down): reported again at every attempt until it can.
   */
  unreported?: UnreportedFailure[];
}

/** A refusal or expiry still to be reported (see SpoolEntry.unreported). */
export interface UnreportedFailure {
  type: 'refused' | 'expired';
  recipients: string[];
  code?: number;
  reason: string;
}

/** The header line: every entry in the file, each followed (in this order) by `size` bytes. */
interface SpoolFileHeader {
  entries: (SpoolEntry & { size: number })[];
}

/** Entry files, as opposed to tombstones, batch commit files and leftovers of interrupted writes. */
export const entrySuffix = '.msg';

export interface SpoolFileMember {
  entry: SpoolEntry;
  data: Buffer | readonly Buffer[];
}

export const chunksOf = (data: Buffer | readonly Buffer[]): readonly Buffer[] =>
  Buffer.isBuffer(data) ? [data] : data;

/** Writes `file` (header, then every member's bytes) durably in one writev; the caller renames it into place. */
export async function writeSpoolFile(
  file: string,
  members: readonly SpoolFileMember[],
  open: DurableOpen = 'replace',
): Promise<void> {
  const chunks = members.map((m) => chunksOf(m.data));
  const header: SpoolFileHeader = {
    entries: members.map((m, i) => ({ ...m.entry, size: sizeOf(chunks[i]) })),
  };
  const buffers = [Buffer.from(`${JSON.stringify(header)}\n`), ...chunks.flat()];
  await writeFileDurably(file, buffers, open);
}

/** Large enough for the header and the bytes of a typical receipt or busta in a single read. */
const firstReadBytes = 64 * 1024;

interface OpenedSpoolFile {
  header: SpoolFileHeader;
  /** Offset of the first member's bytes. */
  dataStart: number;
  /** What the first read brought beyond the header line. */
  head: Buffer;
}

async function readHeader(handle: fs.FileHandle, file: string): Promise<OpenedSpoolFile> {
  let head = Buffer.allocUnsafe(firstReadBytes);
  let filled = 0;
  for (;;) {
    const { bytesRead } = await handle.read(head, filled, head.length - filled, filled);
    filled += bytesRead;
    const newline = head.subarray(0, filled).indexOf(0x0a);
    if (newline >= 0) {
      const header = JSON.parse(head.toString('utf8', 0, newline)) as SpoolFileHeader;
      return { header, dataStart: newline + 1, head: head.subarray(newline + 1, filled) };
    }
    if (bytesRead === 0) throw new Error(`spool: ${file} has no header line`);
    if (filled === head.length) head = Buffer.concat([head, Buffer.allocUnsafe(head.length)]);
  }
}

/** Every entry a spool file holds (one, or the members of a batch). */
export async function readSpoolEntries(file: string): Promise<SpoolEntry[]> {
  const handle = await fs.open(file, 'r');
  try {
    const { header } = await readHeader(handle, file);
    return header.entries.map(({ size: _size, ...entry }) => entry);
  } finally {
    await handle.close();
  }
}

/** The bytes of entry `id` in `file`. */
export async function readSpoolData(file: string, id: string): Promise<Buffer> {
  const handle = await fs.open(file, 'r');
  try {
    const { header, dataStart, head } = await readHeader(handle, file);
    let offset = 0;
    for (const entry of header.entries) {
      if (entry.id === id) {
        if (offset + entry.size <= head.length)
          return Buffer.from(head.subarray(offset, offset + entry.size));
        const data = Buffer.allocUnsafe(entry.size);
        for (let filled = 0; filled < entry.size;) {
          const { bytesRead } = await handle.read(
            data,
            filled,
            entry.size - filled,
            dataStart + offset + filled,
          );
          if (bytesRead === 0) throw new Error(`spool: ${file} is truncated`);
          filled += bytesRead;
        }
        return data;
      }
      offset += entry.size;
    }
    throw new Error(`spool: ${file} holds no entry ${id}`);
  } finally {
    await handle.close();
  }
}

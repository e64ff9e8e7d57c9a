/**
 * Delivery point storage: one Maildir per mailbox, in the layout Dovecot reads
 * (`<root>/<domain>/<local>/Maildir/{tmp,new,cur}`, i.e. `mail_location = maildir:<root>/%d/%n/Maildir`).
 *
 * A message is durable before we report it stored: written to `tmp/`, fsynced, renamed into `new/`
 * and the `new/` directory fsynced, so a crash leaves either nothing in `new/` or the whole file.
 * The size goes in the name (`,S=<bytes>`) so quota usage is a directory listing, not a stat per file.
 */
import { createHash } from 'node:crypto';
import { promises as fs, renameSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomHex } from '../pec/random-hex';
import { syncDirectory } from './dir-sync';
import { writeFileDurably } from './file-io';

export class QuotaExceededError extends Error {
  constructor(
    readonly mailbox: string,
    readonly quotaBytes: number,
    readonly usedBytes: number,
    readonly messageBytes: number,
  ) {
    super(`mailbox ${mailbox} over quota: ${usedBytes} + ${messageBytes} > ${quotaBytes} bytes`);
    this.name = 'QuotaExceededError';
  }
}

export class InvalidMailboxAddressError extends Error {
  constructor(readonly address: string) {
    super(`not a storable mailbox address: ${JSON.stringify(address)}`);
    this.name = 'InvalidMailboxAddressError';
  }
}

/** Characters we allow in a path segment; anything else (`/`, NUL, a lone `..`) could escape the root. */
const safeLocal = /^[a-z0-9!#$%&'*+=?^_`{|}~.-]+$/;
const safeDomain = /^[a-z0-9-]+(\.[a-z0-9-]+)+$/;

/** Splits and lower-cases an address; PEC mailboxes are matched case-insensitively everywhere. */
export function mailboxParts(address: string): { local: string; domain: string } {
  const at = address.lastIndexOf('@');
  const local = address.slice(0, at).toLowerCase();
  const domain = address.slice(at + 1).toLowerCase();
  if (at <= 0 || !safeLocal.test(local) || local === '.' || local === '..' || !safeDomain.test(domain)) {
    throw new InvalidMailboxAddressError(address);
  }
  return { local, domain };
}

/** `<root>/<domain>/<local>/Maildir` for an address. */
export function maildirPath(root: string, address: string): string {
  const { local, domain } = mailboxParts(address);
  return path.join(root, domain, local, 'Maildir');
}

/** Creates `tmp`, `new` and `cur` (mode 0700, as Dovecot does) when missing. */
export async function ensureMaildir(dir: string): Promise<void> {
  for (const sub of ['tmp', 'new', 'cur'])
    await fs.mkdir(path.join(dir, sub), { recursive: true, mode: 0o700 });
}

/**
 * Maildirs this process has created or seen (or is creating: concurrent first deliveries share
 * it): a delivery into one skips the three mkdir calls. One deleted behind our back is recreated
 * when a write into it fails with ENOENT. Bounded, so a provider with many mailboxes does not keep
 * them all: forgetting one costs three mkdir calls.
 */
const knownMaildirs = new Map<string, Promise<void>>();
const knownMaildirsMax = 10_000;

function ensureKnownMaildir(dir: string): Promise<void> {
  let ready = knownMaildirs.get(dir);
  if (!ready) {
    if (knownMaildirs.size >= knownMaildirsMax) knownMaildirs.clear();
    ready = ensureMaildir(dir);
    knownMaildirs.set(dir, ready);
    ready.catch(() => knownMaildirs.delete(dir));
  }
  return ready;
}

const isMissing = (err: unknown) => (err as NodeJS.ErrnoException).code === 'ENOENT';

/** Runs a file operation inside a known Maildir; if the Maildir has gone, recreates it and retries once. */
async function inMaildir<T>(dir: string, operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (err) {
    if (!isMissing(err)) throw err;
    knownMaildirs.delete(dir);
    await ensureKnownMaildir(dir);
    return operation();
  }
}

let sequence = 0;
/** Maildir host part: `/` and `:` are reserved in file names, escaped as the Maildir spec says. */
const hostPart = os.hostname().replace(/\//g, '\\057').replace(/:/g, '\\072') || 'localhost';

/** `<sec>.M<usec>P<pid>Q<seq>R<random>.<host>,S=<size>`: unique across processes, hosts and restarts. */
export function uniqueMessageName(size: number, now: number = Date.now()): string {
  const sec = Math.floor(now / 1000);
  const usec = (now % 1000) * 1000;
  sequence = (sequence + 1) % 1_000_000_000;
  return `${sec}.M${usec}P${process.pid}Q${sequence}R${randomHex(8)}.${hostPart},S=${size}`;
}

/** Bytes used by a Maildir, from the `S=` sizes in `new/` and `cur/` (files without one are stat'ed). */
export async function maildirUsage(dir: string): Promise<number> {
  let total = 0;
  for (const sub of ['new', 'cur']) {
    let names: string[];
    try {
      names = await fs.readdir(path.join(dir, sub));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw err;
    }
    for (const name of names) {
      const m = /,S=(\d+)/.exec(name);
      if (m) total += Number(m[1]);
      else total += (await fs.stat(path.join(dir, sub, name)).catch(() => ({ size: 0 }))).size;
    }
  }
  return total;
}

export interface StoreOptions {
  /** Mailbox quota in bytes; undefined or 0 means unlimited. */
  quotaBytes?: number;
  /** Bytes already used; when omitted and a quota is set, measured with `maildirUsage`. */
  usedBytes?: number;
  /**
   * Stable identity of this delivery (e.g. identificativo + recipient). The file name is derived
   * from it, so a retried delivery can be recognised with `isStored` instead of stored twice.
   */
  deliveryKey?: string;
}

/** File name base for a keyed delivery (no size: the same delivery may be re-wrapped). */
export function keyedName(deliveryKey: string): string {
  return `pec-${createHash('sha256').update(deliveryKey).digest('hex').slice(0, 32)}`;
}

/**
 * Whether a keyed delivery is already in the Maildir (in `new/`, or moved by the reader to `cur/`
 * with flags appended). Scans `cur/`: meant for the rare retry path, not every delivery.
 */
export async function isStored(root: string, address: string, deliveryKey: string): Promise<boolean> {
  const base = keyedName(deliveryKey);
  for (const { name } of await listDelivered(root, address)) if (name.startsWith(`${base}.`)) return true;
  return false;
}

/** The files of a Maildir's `new/` and `cur/` (a missing folder lists nothing). */
export async function listDelivered(
  root: string,
  address: string,
): Promise<{ file: string; name: string }[]> {
  const dir = maildirPath(root, address);
  const found: { file: string; name: string }[] = [];
  for (const sub of ['new', 'cur']) {
    const names = await fs.readdir(path.join(dir, sub)).catch(() => [] as string[]);
    for (const name of names) found.push({ file: path.join(dir, sub, name), name });
  }
  return found;
}

export interface StoredMessage {
  /** Absolute path of the file in `new/`. */
  path: string;
  name: string;
  size: number;
}

/**
 * Stores `raw` in the Maildir of `address` under `root`, durably, after the quota check.
 * Throws QuotaExceededError (nothing written) or InvalidMailboxAddressError.
 */
export async function storeInMaildir(
  root: string,
  address: string,
  raw: Buffer | string,
  options: StoreOptions = {},
): Promise<StoredMessage> {
  const data = typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw;
  const dir = maildirPath(root, address);
  await ensureKnownMaildir(dir);
  if (options.quotaBytes) {
    const used = options.usedBytes ?? (await maildirUsage(dir));
    if (used + data.length > options.quotaBytes) {
      throw new QuotaExceededError(address.toLowerCase(), options.quotaBytes, used, data.length);
    }
  }
  const name = options.deliveryKey
    ? `${keyedName(options.deliveryKey)}.${hostPart},S=${data.length}`
    : uniqueMessageName(data.length);
  const tmpPath = path.join(dir, 'tmp', name);
  const newPath = path.join(dir, 'new', name);
  // O_EXCL: a name collision must fail loudly rather than overwrite another delivery. A keyed name is
  // ours alone, and a tmp file under it is the leftover of a crashed attempt: overwrite it.
  await inMaildir(dir, () => writeFileDurably(tmpPath, [data], options.deliveryKey ? 'replace' : 'new'));
  // new/ removed between the write and here: recreated, and the (still present) tmp file moved.
  await inMaildir(dir, async () => renameSync(tmpPath, newPath));
  // Concurrent deliveries into the same new/ share one directory fsync.
  await syncDirectory(path.join(dir, 'new'));
  return { path: newPath, name, size: data.length };
}

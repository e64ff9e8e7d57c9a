/**
 * Durable outbound queue for what our provider sends by SMTP: bustas, receipts to other providers
 * (and to our own reception point), ordinary mail. A message is on disk — its entry file fsynced
 * and renamed into place, the folder fsynced — before `enqueue` resolves, so a caller may answer
 * `250` and a crash loses nothing: `start()` picks up whatever is left. Each entry is retried with
 * backoff until every recipient is accepted or refused, or the 24 h queue lifetime of PEC (spec
 * §5.1) runs out.
 *
 * Folder layout: `<id>.msg` entries (spool-file.ts), `<id>.sent` tombstones of keyed entries that
 * left, `<id>.group` a batch being written, `*.tmp` single entries being written, `*.spare` files of
 * delivered entries waiting to be written over by the next ones (see `writeSpare`). A
 * folder written by the previous layout (`<id>.json` envelope + `<id>.eml` data, `.batch`) is
 * converted by `start()`.
 */
import { createHash } from 'node:crypto';
import { accessSync, promises as fs, linkSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { randomHex } from '../pec/random-hex';
import { syncDirectory } from './dir-sync';
import { sizeOf } from './file-io';
import { RelayError, type RelayResult, type SmtpRelay } from './relay';
import type { Router } from './routing';
import {
  chunksOf,
  entrySuffix,
  readSpoolData,
  readSpoolEntries,
  writeSpoolFile,
  type SpoolEntry,
  type SpoolFileMember,
  type UnreportedFailure,
} from './spool-file';

export type { SpoolEntry } from './spool-file';

export interface EnqueueOptions {
  label?: string;
  ref?: string;
  /**
   * Idempotency key (e.g. "consegna <identificativo> <recipient>"): enqueueing the same key again
   * — a transaction retried after a crash — is a no-op while the message is queued and for
   * `tombstoneMs` after it left, so a retry never sends the same receipt twice.
   */
  key?: string;
}

export interface SpooledMessage {
  envelope: { from: string; to: string[] };
  data: Buffer | readonly Buffer[];
  options?: EnqueueOptions;
}

export interface EnqueueResult {
  id: string;
  /** False when the key was already queued or sent: nothing was written. */
  created: boolean;
}

/** What the PEC points need of the spool: put messages durably on the way out. */
export interface Outbox {
  enqueue(
    envelope: { from: string; to: string[] },
    data: Buffer | readonly Buffer[],
    options?: EnqueueOptions,
  ): Promise<unknown>;
  enqueueAll(
    messages: readonly SpooledMessage[],
    options?: { hold?: boolean },
  ): Promise<readonly EnqueueResult[]>;
  release(ids: readonly string[]): void;
  discard(ids: readonly string[]): Promise<void>;
}

export type SpoolOutcome =
  | { type: 'delivered'; entry: SpoolEntry; recipients: string[]; result: RelayResult }
  | { type: 'refused'; entry: SpoolEntry; recipients: string[]; code: number | undefined; reason: string }
  | { type: 'deferred'; entry: SpoolEntry; recipients: string[]; reason: string }
  | { type: 'expired'; entry: SpoolEntry; recipients: string[]; reason: string };

export interface SpoolOptions {
  dir: string;
  router: Router;
  relay: SmtpRelay;
  /** Delays between attempts; the last one repeats. */
  retryDelaysMs?: number[];
  /** Give up after this long in the queue. */
  maxAgeMs?: number;
  /** Deliveries in flight at once. */
  concurrency?: number;
  /**
   * Told about every recipient's fate (transmission log, state, the sender's notice). An error it
   * throws for a delivery or a deferral is ignored; for a recipient given up on (refused, expired)
   * it means the consequences are not recorded yet: the entry stays queued and that outcome is
   * reported again at its next attempt, until the observer accepts it. So a notice owed to the
   * sender is never lost to a database outage; the observer must therefore be idempotent.
   */
  onOutcome?: (outcome: SpoolOutcome) => void | Promise<void>;
  /**
   * Delivery to our own domains without an SMTP round trip to ourselves (route source
   * `own-domain`); answers like a relay. Absent: they go over SMTP to our inbound port.
   */
  deliverLocally?: (envelope: { from: string; to: string[] }, data: Buffer) => Promise<RelayResult>;
  /** How long the key of a sent message is remembered; default 48 h (twice a sender's 24 h retry window). */
  tombstoneMs?: number;
}

/**
 * A metadata call that may fail harmlessly (the name already gone): false then. Synchronous, as the
 * other metadata calls of the send path (file-io.ts says why).
 */
function attempt(call: () => void): boolean {
  try {
    call();
    return true;
  } catch {
    return false;
  }
}

const exists = (file: string): boolean => attempt(() => accessSync(file));

function keyedId(key: string): string {
  return `k-${createHash('sha256').update(key).digest('hex').slice(0, 40)}`;
}

const defaultRetryDelays = [5_000, 30_000, 120_000, 600_000, 1_800_000];

/**
 * Entries up to this size become their own tombstone (one rename); a larger one (a consegna
 * completa carrying a big original) is unlinked and leaves an empty tombstone, so 48 h of
 * tombstones do not hold 48 h of receipts' bytes.
 */
const renamedTombstoneMaxBytes = 256 * 1024;

/**
 * Spare files kept for reuse, at most, and the largest entry whose file becomes one: a spare holds
 * its last entry's blocks until it is written over (or the next start removes it).
 */
const spareFilesMax = 32;
const spareEntryMaxBytes = 256 * 1024;
const spareSuffix = '.spare';

/** Fresh entries' bytes kept in memory for their first attempt: per entry, and in all. */
const inMemoryEntryMaxBytes = 1024 * 1024;
const inMemoryMaxBytes = 32 * 1024 * 1024;

export class OutboundSpool {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly inFlight = new Set<string>();
  private readonly ready: string[] = [];
  private readonly entries = new Map<string, SpoolEntry>();
  private readonly idleWaiters: (() => void)[] = [];
  /** Keyed ids being written right now: a concurrent enqueue of the same key is a no-op. */
  private readonly reserved = new Set<string>();
  /** Entries written but not yet released for delivery. */
  private readonly held = new Set<string>();
  /** Bytes of entries just enqueued, so their first attempt does not read them back from disk. */
  private readonly inMemory = new Map<string, Buffer>();
  private inMemoryBytes = 0;
  /** Spare files (paths), the most recently freed last. */
  private readonly spares: string[] = [];
  /**
   * Entries whose file this process wrote, each with the count of entry names sharing that file
   * (a batch's members share one). An entry loaded by `start()` is absent: its file is never reused.
   */
  private readonly written = new Map<string, { names: number }>();
  private tombstoneSweep?: NodeJS.Timeout;
  private running = 0;
  private stopped = true;

  constructor(private readonly options: SpoolOptions) {}

  /** Loads what a previous run left and starts delivering. */
  async start(): Promise<void> {
    await fs.mkdir(this.options.dir, { recursive: true });
    this.stopped = false;
    await this.upgradeLegacyLayout();
    await this.completeGroups();
    await this.forgetOldTombstones();
    this.tombstoneSweep = setInterval(() => void this.forgetOldTombstones().catch(() => undefined), 3600_000);
    this.tombstoneSweep.unref();
    for (const name of await fs.readdir(this.options.dir)) {
      if (name.endsWith('.tmp') || name.endsWith(spareSuffix)) {
        await fs.unlink(path.join(this.options.dir, name)).catch(() => undefined);
        continue;
      }
      if (!name.endsWith(entrySuffix)) continue;
      const id = name.slice(0, -entrySuffix.length);
      try {
        const entry = (await readSpoolEntries(this.entryFile(id))).find((e) => e.id === id);
        if (!entry) continue; // not ours: a file can only be linked under a member's name
        // Sent just before a crash, after its tombstone and before its entry went: it is gone.
        if (entry.keyed && exists(this.tombstoneFile(id))) {
          await fs.unlink(this.entryFile(id)).catch(() => undefined);
          continue;
        }
        this.entries.set(id, entry);
        this.schedule(entry);
      } catch {
        // A half-written entry cannot exist (rename is atomic); anything unreadable is foreign.
      }
    }
  }

  /** Stops scheduling; deliveries in progress finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.tombstoneSweep);
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    await this.idle();
  }

  /** Messages still queued. */
  size(): number {
    return this.entries.size;
  }

  /** Resolves when nothing is queued or in flight (tests, shutdown). */
  idle(): Promise<void> {
    if (this.running === 0 && (this.stopped || this.entries.size === 0)) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Writes the message durably and schedules it for immediate delivery. */
  async enqueue(
    envelope: { from: string; to: string[] },
    data: Buffer | readonly Buffer[],
    options: EnqueueOptions = {},
  ): Promise<EnqueueResult> {
    const [result] = await this.enqueueAll([{ envelope, data, options }]);
    return result;
  }

  /**
   * Enqueues several messages as one: after a crash either all of them are queued or none is
   * (a busta and its accettazione must not exist one without the other). With `hold`, they wait
   * for `release()` (the caller records state first); a restart sends them anyway.
   */
  async enqueueAll(
    messages: readonly SpooledMessage[],
    options: { hold?: boolean } = {},
  ): Promise<EnqueueResult[]> {
    const now = new Date();
    const results: EnqueueResult[] = [];
    const fresh: SpoolFileMember[] = [];
    if (messages.some((m) => m.envelope.to.length === 0)) throw new Error('spool: no recipients');
    try {
      for (const { envelope, data, options = {} } of messages) {
        const id = options.key
          ? keyedId(options.key)
          : `${now.getTime().toString(36)}-${randomHex(6)}`;
        if (options.key) {
          // Reserved before the first await, so a concurrent enqueue of the same key sees it.
          if (this.entries.has(id) || this.reserved.has(id)) {
            results.push({ id, created: false });
            continue;
          }
          this.reserved.add(id);
          if (this.isKnownOnDisk(id)) {
            this.reserved.delete(id);
            results.push({ id, created: false });
            continue;
          }
        }
        results.push({ id, created: true });
        fresh.push({
          data,
          entry: {
            id,
            from: envelope.from,
            to: [...envelope.to],
            attempts: 0,
            createdAt: now.toISOString(),
            nextAttemptAt: now.toISOString(),
            label: options.label,
            ref: options.ref,
            ...(options.key ? { keyed: true } : {}),
          },
        });
      }
      if (fresh.length === 1) await this.writeEntry(fresh[0]);
      else if (fresh.length > 1) await this.writeBatch(fresh);
    } finally {
      for (const { entry } of fresh) this.reserved.delete(entry.id);
    }
    for (const { entry, data } of fresh) {
      this.entries.set(entry.id, entry);
      this.keepInMemory(entry.id, data);
      if (options.hold) this.held.add(entry.id);
      else if (!this.stopped) this.schedule(entry);
    }
    return results;
  }

  /** Starts delivering entries enqueued with `hold`. */
  release(ids: readonly string[]): void {
    for (const id of ids) {
      const entry = this.entries.get(id);
      if (!this.held.delete(id) || !entry) continue;
      if (!this.stopped) this.schedule(entry);
    }
  }

  /**
   * Removes entries still held (never sent): the caller could not record their state and refuses
   * the message instead, so the client's retry is the only copy that will go out.
   */
  async discard(ids: readonly string[]): Promise<void> {
    for (const id of ids) {
      const entry = this.entries.get(id);
      if (!this.held.delete(id) || !entry) continue;
      attempt(() => unlinkSync(this.entryFile(id)));
      this.leaveFile(id);
      this.entries.delete(id);
      this.takeFromMemory(id);
    }
    await syncDirectory(this.options.dir);
  }

  /** One entry: its file written and fsynced, renamed into place, the folder fsynced. */
  private async writeEntry(member: SpoolFileMember): Promise<void> {
    await this.replaceEntry(member);
    await syncDirectory(this.options.dir);
  }

  /** Writes an entry's file alone, fsynced, and renames it into place (no folder fsync). */
  private async replaceEntry(member: SpoolFileMember): Promise<void> {
    const file = this.entryFile(member.entry.id);
    if (!(await this.writeSpare([member], file))) {
      await writeSpoolFile(`${file}.tmp`, [member]);
      renameSync(`${file}.tmp`, file);
    }
    // A batch member rewritten alone leaves the shared file to the others.
    this.leaveFile(member.entry.id);
    this.written.set(member.entry.id, { names: 1 });
  }

  /**
   * Writes `members` over a spare file and renames it to `target`; false when no spare is left (the
   * caller creates the file). Creating a file costs far more than writing over one on ext4 without a
   * journal, where allocating an inode skips every inode freed in the last 60-360 s (measured on
   * these machines: 170-360 µs of CPU per create after deletions), and every entry file deleted
   * slows the next creates in its block group, Maildir deliveries included. The spare is written
   * over in place under its own name, so its open needs neither O_CREAT, nor the folder's lock, nor
   * O_TRUNC (see DurableOpen); a crash before the rename leaves a `.spare`, which start() removes.
   */
  private async writeSpare(members: readonly SpoolFileMember[], target: string): Promise<boolean> {
    const spare = this.spares.pop();
    if (!spare) return false;
    try {
      await writeSpoolFile(spare, members, 'existing');
    } catch (err) {
      // Gone from under us: create the file instead. A failed write removed the spare.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
    renameSync(spare, target);
    return true;
  }

  /**
   * The entry's name no longer counts among those sharing its file. True when it was the last name
   * of a file this process wrote: nothing else uses that file.
   */
  private leaveFile(id: string): boolean {
    const shared = this.written.get(id);
    this.written.delete(id);
    return shared !== undefined && --shared.names === 0;
  }

  /**
   * Several entries, atomically: one file, `<first id>.group`, holds them all; it is hard-linked
   * under the other members' names, then renamed to the first member's name — the commit point.
   * A `.group` file left by a crash is a batch never acknowledged: `start()` rolls it back. (Like
   * every journaled file system Linux uses for this, we rely on the folder's changes reaching
   * the disk in the order they were made.)
   */
  private async writeBatch(members: readonly SpoolFileMember[]): Promise<void> {
    const group = this.groupFile(members[0].entry.id);
    if (!(await this.writeSpare(members, group))) await writeSpoolFile(group, members);
    for (const { entry } of members.slice(1)) linkSync(group, this.entryFile(entry.id));
    renameSync(group, this.entryFile(members[0].entry.id));
    const shared = { names: members.length };
    for (const { entry } of members) this.written.set(entry.id, shared);
    // One folder fsync makes every member's name durable together.
    await syncDirectory(this.options.dir);
  }

  /** Rolls back the batches a crash interrupted before their commit point: none of them was acknowledged. */
  private async completeGroups(): Promise<void> {
    for (const name of await fs.readdir(this.options.dir)) {
      if (!name.endsWith('.group')) continue;
      const group = path.join(this.options.dir, name);
      // Unreadable: the crash came before its fsync, so before any link.
      const members = await readSpoolEntries(group).catch(() => []);
      const { ino } = await fs.stat(group);
      for (const { id } of members) {
        const stat = await fs.stat(this.entryFile(id)).catch(() => null);
        if (stat?.ino === ino) await fs.unlink(this.entryFile(id));
      }
      await fs.unlink(group);
      await syncDirectory(this.options.dir);
    }
  }

  /**
   * Converts what the previous layout left (`<id>.json` envelope + `<id>.eml` data, and `.batch`
   * files listing the envelopes of a committed batch) into entry files, so an upgrade delivers
   * whatever was queued. Each conversion is durable before the old files go.
   */
  private async upgradeLegacyLayout(): Promise<void> {
    const dir = this.options.dir;
    const names = await fs.readdir(dir);
    if (!names.some((n) => n.endsWith('.json') || n.endsWith('.batch') || n.endsWith('.eml'))) return;
    const envelopes = new Map<string, SpoolEntry>();
    for (const name of names.filter((n) => n.endsWith('.batch'))) {
      const listed = JSON.parse(await fs.readFile(path.join(dir, name), 'utf8')) as SpoolEntry[];
      for (const entry of listed) envelopes.set(entry.id, entry);
    }
    for (const name of names.filter((n) => n.endsWith('.json'))) {
      try {
        const entry = JSON.parse(await fs.readFile(path.join(dir, name), 'utf8')) as SpoolEntry;
        envelopes.set(name.slice(0, -5), entry);
      } catch {
        // A half-written envelope cannot exist (rename is atomic); anything unreadable is foreign.
      }
    }
    for (const [id, entry] of envelopes) {
      const data = await fs.readFile(path.join(dir, `${id}.eml`)).catch(() => null);
      // Sent just before a crash (tombstone written), or its data already gone: nothing to convert.
      if (!data || (entry.keyed && exists(this.tombstoneFile(id)))) continue;
      if (exists(this.entryFile(id))) continue;
      await this.replaceEntry({ entry, data });
    }
    await syncDirectory(dir);
    // Data files without an envelope were never acknowledged to anyone; the rest are converted.
    for (const name of names) {
      if (name.endsWith('.json') || name.endsWith('.batch') || name.endsWith('.eml'))
        await fs.unlink(path.join(dir, name)).catch(() => undefined);
    }
  }

  /**
   * A keyed message sent within the tombstone period (possibly by a previous run). One queued is
   * already in `entries`: `start()` loaded every entry file, and only this process writes the folder.
   */
  private isKnownOnDisk(id: string): boolean {
    return exists(this.tombstoneFile(id));
  }

  private async forgetOldTombstones(): Promise<void> {
    const limit = Date.now() - (this.options.tombstoneMs ?? 48 * 3600_000);
    for (const name of await fs.readdir(this.options.dir)) {
      if (!name.endsWith('.sent')) continue;
      const file = path.join(this.options.dir, name);
      // ctime: a tombstone renamed from its entry keeps the entry's mtime, the rename sets ctime.
      const stat = await fs.stat(file).catch(() => null);
      if (stat && Math.max(stat.ctimeMs, stat.mtimeMs) < limit) await fs.unlink(file).catch(() => undefined);
    }
  }

  /** A copy (the caller may reuse its buffers), within a bound: anything else is read from disk. */
  private keepInMemory(id: string, data: Buffer | readonly Buffer[]): void {
    const chunks = chunksOf(data);
    const size = sizeOf(chunks);
    if (size > inMemoryEntryMaxBytes || this.inMemoryBytes + size > inMemoryMaxBytes) return;
    this.inMemory.set(id, Buffer.concat(chunks, size));
    this.inMemoryBytes += size;
  }

  /** The bytes kept for an entry's first attempt, once: a retry reads them from its file. */
  private takeFromMemory(id: string): Buffer | undefined {
    const data = this.inMemory.get(id);
    if (!data) return undefined;
    this.inMemory.delete(id);
    this.inMemoryBytes -= data.length;
    return data;
  }

  private entryFile(id: string): string {
    return path.join(this.options.dir, `${id}${entrySuffix}`);
  }
  private groupFile(id: string): string {
    return path.join(this.options.dir, `${id}.group`);
  }
  private tombstoneFile(id: string): string {
    return path.join(this.options.dir, `${id}.sent`);
  }

  private schedule(entry: SpoolEntry): void {
    const delay = Math.max(0, Date.parse(entry.nextAttemptAt) - Date.now());
    if (delay === 0) {
      this.ready.push(entry.id);
      this.pump();
      return;
    }
    const timer = setTimeout(() => {
      this.timers.delete(entry.id);
      this.ready.push(entry.id);
      this.pump();
    }, delay);
    timer.unref();
    this.timers.set(entry.id, timer);
  }

  private pump(): void {
    const max = this.options.concurrency ?? 20;
    while (!this.stopped && this.running < max && this.ready.length > 0) {
      const id = this.ready.shift()!;
      const entry = this.entries.get(id);
      if (!entry || this.inFlight.has(id)) continue;
      this.inFlight.add(id);
      this.running++;
      this.attempt(entry)
        .catch(() => undefined)
        .finally(() => {
          this.inFlight.delete(id);
          this.running--;
          this.pump();
          if (this.running === 0 && (this.entries.size === 0 || this.stopped)) {
            for (const w of this.idleWaiters.splice(0)) w();
          }
        });
    }
  }

  private async report(outcome: SpoolOutcome): Promise<void> {
    try {
      await this.options.onOutcome?.(outcome);
    } catch {
      // The outcome observer must not make a delivered message look undelivered.
    }
  }

  /** Reports a recipient given up on; false when the observer could not record it (keep it). */
  private async reportFailure(entry: SpoolEntry, failure: UnreportedFailure): Promise<boolean> {
    const { type, recipients, code, reason } = failure;
    try {
      await this.options.onOutcome?.(
        type === 'refused' ? { type, entry, recipients, code, reason } : { type, entry, recipients, reason },
      );
      return true;
    } catch {
      return false;
    }
  }

  private async attempt(entry: SpoolEntry): Promise<void> {
    const data = this.takeFromMemory(entry.id) ?? (await readSpoolData(this.entryFile(entry.id), entry.id));
    entry.attempts++;
    // Recipients given up on whose outcome the observer cannot record yet stay in the entry.
    const unreported: UnreportedFailure[] = [];
    const giveUp = async (failure: UnreportedFailure) => {
      if (!(await this.reportFailure(entry, failure))) unreported.push(failure);
    };
    // Outcomes the observer could not record at an earlier attempt go first.
    for (const failure of entry.unreported ?? []) await giveUp(failure);
    const byDomain = new Map<string, string[]>();
    for (const rcpt of entry.to) {
      const domain = rcpt.slice(rcpt.lastIndexOf('@') + 1).toLowerCase();
      byDomain.set(domain, [...(byDomain.get(domain) ?? []), rcpt]);
    }
    const remaining: string[] = [];
    let lastReason = '';
    for (const [domain, recipients] of byDomain) {
      try {
        const route = await this.options.router.route(domain);
        const envelope = { from: entry.from, to: recipients };
        const result =
          route.source === 'own-domain' && this.options.deliverLocally
            ? await this.options.deliverLocally(envelope, data)
            : await this.options.relay.send(route.targets, envelope, data);
        const refused = result.rejected.filter((r) => r.code !== undefined && r.code >= 500);
        const delivered = recipients.filter((r) => result.accepted.includes(r));
        if (delivered.length) await this.report({ type: 'delivered', entry, recipients: delivered, result });
        for (const r of refused)
          await giveUp({ type: 'refused', recipients: [r.address], code: r.code, reason: r.response });
        const settled = new Set([...delivered, ...refused.map((r) => r.address)]);
        for (const r of recipients) if (!settled.has(r)) remaining.push(r);
        if (remaining.length) lastReason = result.rejected.map((r) => r.response).join('; ');
      } catch (err) {
        const reason = (err as Error).message;
        if (err instanceof RelayError && err.permanent) {
          await giveUp({ type: 'refused', recipients, code: err.code, reason });
        } else {
          remaining.push(...recipients);
          lastReason = reason;
        }
      }
    }
    const age = Date.now() - Date.parse(entry.createdAt);
    if (remaining.length > 0 && age >= (this.options.maxAgeMs ?? 24 * 3600_000)) {
      await giveUp({ type: 'expired', recipients: remaining.splice(0), reason: lastReason });
    }
    if (remaining.length === 0 && unreported.length === 0) {
      this.remove(entry, data.length);
      return;
    }
    const delays = this.options.retryDelaysMs ?? defaultRetryDelays;
    const delay = delays[Math.min(entry.attempts - 1, delays.length - 1)];
    entry.to = remaining;
    entry.unreported = unreported.length > 0 ? unreported : undefined;
    entry.nextAttemptAt = new Date(Date.now() + delay).toISOString();
    // Rewritten alone (a batch member leaves the shared file to the others); like before the
    // attempt, a crash here at worst retries with the old recipients and counters (and reports
    // again what the observer took meanwhile, which it must bear).
    await this.replaceEntry({ entry, data });
    if (remaining.length > 0)
      await this.report({ type: 'deferred', entry, recipients: remaining, reason: lastReason });
    if (!this.stopped) this.schedule(entry);
  }

  private remove(entry: SpoolEntry, size: number): void {
    const file = this.entryFile(entry.id);
    if (entry.keyed && size <= renamedTombstoneMaxBytes) {
      // The entry becomes its own tombstone: one atomic step, so its key is known throughout. The
      // file keeps a name (the tombstone), so it never becomes a spare.
      this.written.delete(entry.id);
      attempt(() => renameSync(file, this.tombstoneFile(entry.id)));
    } else {
      // A keyed entry leaves a tombstone before its entry goes, so its key stays known.
      if (entry.keyed) attempt(() => writeFileSync(this.tombstoneFile(entry.id), ''));
      // The last name of a file this process wrote: the file becomes a spare instead of going.
      const last = this.leaveFile(entry.id);
      if (!(last && size <= spareEntryMaxBytes && this.keepAsSpare(file))) attempt(() => unlinkSync(file));
    }
    this.entries.delete(entry.id);
  }

  private keepAsSpare(file: string): boolean {
    if (this.spares.length >= spareFilesMax) return false;
    const spare = path.join(this.options.dir, `${randomHex(8)}${spareSuffix}`);
    if (!attempt(() => renameSync(file, spare))) return false;
    this.spares.push(spare);
    return true;
  }
}

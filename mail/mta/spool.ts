/**
 * Durable outbound queue for what our provider sends by SMTP: bustas, receipts to other providers
 * (and to our own reception point), ordinary mail. A message is on disk — data file and envelope
 * file both fsynced — before `enqueue` resolves, so a caller may answer `250` and a crash loses
 * nothing: `start()` picks up whatever is left. Each entry is retried with backoff until every
 * recipient is accepted or refused, or the 24 h queue lifetime of PEC (spec §5.1) runs out.
 */
import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { RelayError, type RelayResult, type SmtpRelay } from './relay';
import type { Router } from './routing';

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
}

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
  /** Told about every recipient's fate (transmission log, state). Errors it throws are ignored. */
  onOutcome?: (outcome: SpoolOutcome) => void | Promise<void>;
  /**
   * Delivery to our own domains without an SMTP round trip to ourselves (route source
   * `own-domain`); answers like a relay. Absent: they go over SMTP to our inbound port.
   */
  deliverLocally?: (envelope: { from: string; to: string[] }, data: Buffer) => Promise<RelayResult>;
  /** How long the key of a sent message is remembered; default 48 h (twice a sender's 24 h retry window). */
  tombstoneMs?: number;
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}

function keyedId(key: string): string {
  return `k-${createHash('sha256').update(key).digest('hex').slice(0, 40)}`;
}

const defaultRetryDelays = [5_000, 30_000, 120_000, 600_000, 1_800_000];

/** Writes `file.tmp` and fsyncs it; the caller renames it into place. */
async function writeSynced(tmp: string, data: Buffer | readonly Buffer[]): Promise<void> {
  const handle = await fs.open(tmp, 'w', 0o600);
  try {
    if (Buffer.isBuffer(data)) await handle.writeFile(data);
    else for (const chunk of data) await handle.write(chunk);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function writeDurably(file: string, data: Buffer | readonly Buffer[]): Promise<void> {
  await writeSynced(`${file}.tmp`, data);
  await fs.rename(`${file}.tmp`, file);
}

async function syncDir(dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

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
  private tombstoneSweep?: NodeJS.Timeout;
  private running = 0;
  private stopped = true;

  constructor(private readonly options: SpoolOptions) {}

  /** Loads what a previous run left and starts delivering. */
  async start(): Promise<void> {
    await fs.mkdir(this.options.dir, { recursive: true });
    this.stopped = false;
    await this.completeBatches();
    await this.forgetOldTombstones();
    this.tombstoneSweep = setInterval(() => void this.forgetOldTombstones().catch(() => undefined), 3600_000);
    this.tombstoneSweep.unref();
    for (const name of await fs.readdir(this.options.dir)) {
      if (name.endsWith('.tmp')) {
        await fs.unlink(path.join(this.options.dir, name)).catch(() => undefined);
        continue;
      }
      if (!name.endsWith('.json')) continue;
      const id = name.slice(0, -5);
      try {
        const entry = JSON.parse(await fs.readFile(path.join(this.options.dir, name), 'utf8')) as SpoolEntry;
        // Sent just before a crash, after its tombstone and before its envelope went: it is gone.
        if (entry.keyed && (await exists(this.tombstoneFile(id)))) {
          await this.remove(entry);
          continue;
        }
        this.entries.set(id, entry);
        this.schedule(entry);
      } catch {
        // A half-written envelope cannot exist (rename is atomic); anything unreadable is foreign.
      }
    }
    // Data files without an envelope were never acknowledged to anyone: remove them.
    for (const name of await fs.readdir(this.options.dir)) {
      if (name.endsWith('.eml') && !this.entries.has(name.slice(0, -4))) {
        await fs.unlink(path.join(this.options.dir, name)).catch(() => undefined);
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
    const fresh: { entry: SpoolEntry; data: Buffer | readonly Buffer[] }[] = [];
    if (messages.some((m) => m.envelope.to.length === 0)) throw new Error('spool: no recipients');
    try {
      for (const { envelope, data, options = {} } of messages) {
        const id = options.key
          ? keyedId(options.key)
          : `${now.getTime().toString(36)}-${randomBytes(6).toString('hex')}`;
        if (options.key) {
          // Reserved before the first await, so a concurrent enqueue of the same key sees it.
          if (this.entries.has(id) || this.reserved.has(id)) {
            results.push({ id, created: false });
            continue;
          }
          this.reserved.add(id);
          if (await this.isKnownOnDisk(id)) {
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
      if (fresh.length === 1) await this.writeEntry(fresh[0].entry, fresh[0].data);
      else if (fresh.length > 1) await this.writeBatch(fresh);
    } finally {
      for (const { entry } of fresh) this.reserved.delete(entry.id);
    }
    for (const { entry } of fresh) {
      this.entries.set(entry.id, entry);
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
      await fs.unlink(this.envelopeFile(id)).catch(() => undefined);
      await fs.unlink(this.dataFile(id)).catch(() => undefined);
      this.entries.delete(id);
    }
    await syncDir(this.options.dir);
  }

  /** One entry: data and envelope written and fsynced at once, then renamed data first, envelope last. */
  private async writeEntry(entry: SpoolEntry, data: Buffer | readonly Buffer[]): Promise<void> {
    const dataFile = this.dataFile(entry.id);
    const envelopeFile = this.envelopeFile(entry.id);
    // One fsync wait instead of two; the envelope's presence is what makes the entry exist.
    await Promise.all([
      writeSynced(`${dataFile}.tmp`, data),
      writeSynced(`${envelopeFile}.tmp`, Buffer.from(JSON.stringify(entry))),
    ]);
    await fs.rename(`${dataFile}.tmp`, dataFile);
    await fs.rename(`${envelopeFile}.tmp`, envelopeFile);
    await syncDir(this.options.dir);
  }

  /**
   * Several entries, atomically: every data file is put in place, then one batch file holding all
   * the envelopes (the commit point), then the envelopes one by one; `start()` finishes a batch a
   * crash interrupted.
   */
  private async writeBatch(
    fresh: readonly { entry: SpoolEntry; data: Buffer | readonly Buffer[] }[],
  ): Promise<void> {
    await Promise.all(fresh.map(({ entry, data }) => writeSynced(`${this.dataFile(entry.id)}.tmp`, data)));
    for (const { entry } of fresh) await fs.rename(`${this.dataFile(entry.id)}.tmp`, this.dataFile(entry.id));
    const batchFile = path.join(this.options.dir, `${fresh[0].entry.id}.batch`);
    await writeDurably(batchFile, Buffer.from(JSON.stringify(fresh.map((f) => f.entry))));
    await syncDir(this.options.dir);
    await Promise.all(
      fresh.map(({ entry }) =>
        writeSynced(`${this.envelopeFile(entry.id)}.tmp`, Buffer.from(JSON.stringify(entry))),
      ),
    );
    for (const { entry } of fresh)
      await fs.rename(`${this.envelopeFile(entry.id)}.tmp`, this.envelopeFile(entry.id));
    await syncDir(this.options.dir);
    await fs.unlink(batchFile);
  }

  /** Puts in place the envelopes of a batch whose commit point was reached before a crash. */
  private async completeBatches(): Promise<void> {
    for (const name of await fs.readdir(this.options.dir)) {
      if (!name.endsWith('.batch')) continue;
      const file = path.join(this.options.dir, name);
      const entries = JSON.parse(await fs.readFile(file, 'utf8')) as SpoolEntry[];
      for (const entry of entries) {
        if (!(await exists(this.envelopeFile(entry.id))))
          await writeDurably(this.envelopeFile(entry.id), Buffer.from(JSON.stringify(entry)));
      }
      await syncDir(this.options.dir);
      await fs.unlink(file);
    }
  }

  /** A keyed message queued, or sent within the tombstone period (possibly by a previous run). */
  private async isKnownOnDisk(id: string): Promise<boolean> {
    return (await exists(this.envelopeFile(id))) || (await exists(this.tombstoneFile(id)));
  }

  private async forgetOldTombstones(): Promise<void> {
    const limit = Date.now() - (this.options.tombstoneMs ?? 48 * 3600_000);
    for (const name of await fs.readdir(this.options.dir)) {
      if (!name.endsWith('.sent')) continue;
      const file = path.join(this.options.dir, name);
      const stat = await fs.stat(file).catch(() => null);
      if (stat && stat.mtimeMs < limit) await fs.unlink(file).catch(() => undefined);
    }
  }

  private dataFile(id: string): string {
    return path.join(this.options.dir, `${id}.eml`);
  }
  private envelopeFile(id: string): string {
    return path.join(this.options.dir, `${id}.json`);
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

  private async attempt(entry: SpoolEntry): Promise<void> {
    const data = await fs.readFile(this.dataFile(entry.id));
    entry.attempts++;
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
        for (const r of refused) {
          await this.report({
            type: 'refused',
            entry,
            recipients: [r.address],
            code: r.code,
            reason: r.response,
          });
        }
        const settled = new Set([...delivered, ...refused.map((r) => r.address)]);
        for (const r of recipients) if (!settled.has(r)) remaining.push(r);
        if (remaining.length) lastReason = result.rejected.map((r) => r.response).join('; ');
      } catch (err) {
        const reason = (err as Error).message;
        if (err instanceof RelayError && err.permanent) {
          await this.report({ type: 'refused', entry, recipients, code: err.code, reason });
        } else {
          remaining.push(...recipients);
          lastReason = reason;
        }
      }
    }
    if (remaining.length === 0) {
      await this.remove(entry);
      return;
    }
    const age = Date.now() - Date.parse(entry.createdAt);
    if (age >= (this.options.maxAgeMs ?? 24 * 3600_000)) {
      await this.report({ type: 'expired', entry, recipients: remaining, reason: lastReason });
      await this.remove(entry);
      return;
    }
    const delays = this.options.retryDelaysMs ?? defaultRetryDelays;
    const delay = delays[Math.min(entry.attempts - 1, delays.length - 1)];
    entry.to = remaining;
    entry.nextAttemptAt = new Date(Date.now() + delay).toISOString();
    await writeDurably(this.envelopeFile(entry.id), Buffer.from(JSON.stringify(entry)));
    await this.report({ type: 'deferred', entry, recipients: remaining, reason: lastReason });
    if (!this.stopped) this.schedule(entry);
  }

  private async remove(entry: SpoolEntry): Promise<void> {
    // A keyed entry leaves a tombstone before its envelope goes, so its key stays known.
    if (entry.keyed) await fs.writeFile(this.tombstoneFile(entry.id), '').catch(() => undefined);
    // Envelope first: once it is gone the entry no longer exists, whatever happens to the data file.
    await fs.unlink(this.envelopeFile(entry.id)).catch(() => undefined);
    await fs.unlink(this.dataFile(entry.id)).catch(() => undefined);
    this.entries.delete(entry.id);
  }
}

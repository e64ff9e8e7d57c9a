/**
 * The reception and delivery points' view of our mailboxes, read from the `mailboxes` table.
 * Usage is kept in `used_bytes` (incremented per stored message, not a change of the mailbox: no
 * `updated_at`) so quota checks need no Maildir scan.
 * Plain SQL (lib/db/sql.ts): these run several times per message, where Prisma's per-call cost
 * showed up in the exchange profile. Usage updates are naturally batched (natural-batch.ts).
 *
 * Each address is remembered for a short while (default 1.5 s): one message asks for the same
 * mailbox at MAIL, RCPT and DATA, for its accettazione and for its consegna, and a busy sender for
 * every message. A portal change (suspension, expiry, quota, a new or deleted mailbox) still reaches
 * the MTA within that TTL, i.e. within seconds. Usage counted here stays in step with the cache; a
 * delivery by another MTA node shows within the TTL (the quota may be overrun by what the other
 * nodes store meanwhile; Dovecot's own quota covers that case under LMTP).
 *
 * Usage reaches the database a moment later (default 250 ms), every address's bytes of that moment
 * in one UPDATE. Under load a delivery's own UPDATE was about one SQL statement per exchanged message
 * on each side, a tenth of them all, for a counter: the Maildir is the record, the counter only
 * spares a scan at each quota check. Written at once, and awaited, it also held every inbound SMTP
 * answer. What a crash loses is at most that moment's bytes of the counter (the mail itself is on
 * disk before anything is answered), so a box may later take that much beyond its quota.
 */
import type { PrismaClient } from '@/lib/db/client';
import { rowsOf, sql, sqlClientOf, type SqlClient } from '@/lib/db/sql';
import type { LocalMailbox, MailboxDirectory } from './reception';
import type { MailboxCredentials } from './submission';

interface MailboxRow {
  address: string;
  status: LocalMailbox['status'];
  expires_at: Date | null;
  /** int8: a string from pg, a bigint from Prisma */
  quota_bytes: string | bigint;
  used_bytes: string | bigint;
  ordinary_mail_policy: string;
}

interface CachedMailbox {
  mailbox: LocalMailbox | null;
  until: number;
}

/** Bounds memory when many distinct addresses are asked for (RCPT probes for unknown ones). */
const maxCachedAddresses = 10_000;

export interface MailboxDirectoryOptions {
  /** How long a mailbox row is remembered (ms). */
  ttlMs?: number;
  /** How long delivered bytes wait to be written to `used_bytes` with those of other deliveries (ms). */
  usageWriteDelayMs?: number;
  /** A failed usage write (the bytes are kept and written with the next one). */
  onUsageWriteError?: (err: Error) => void;
}

export class DatabaseMailboxDirectory implements MailboxDirectory {
  private readonly cache = new Map<string, CachedMailbox>();
  /** Concurrent misses for one address share one query. */
  private readonly reading = new Map<string, Promise<LocalMailbox | null>>();
  private readonly ttlMs: number;
  private readonly db: SqlClient;
  private readonly usageWriteDelayMs: number;
  private readonly onUsageWriteError: (err: Error) => void;
  /** Bytes delivered and not yet sent to the database, per address. */
  private unwritten = new Map<string, number>();
  private usageTimer: NodeJS.Timeout | undefined;
  /** The usage UPDATE under way: one at a time, so the counts it returns are in order. */
  private usageWrite: Promise<void> | undefined;
  /** Shut down: later deliveries are still counted, but written only by an explicit writeUsage(). */
  private closed = false;

  constructor(db: SqlClient | PrismaClient, options: MailboxDirectoryOptions = {}) {
    this.db = sqlClientOf(db);
    this.ttlMs = options.ttlMs ?? 1500;
    this.usageWriteDelayMs = options.usageWriteDelayMs ?? 250;
    this.onUsageWriteError =
      options.onUsageWriteError ??
      ((err) => console.error(`mailbox usage not written yet (kept for the next write): ${err.message}`));
  }

  /** The access point's login check: read afresh every time (status, expiry, password). */
  async credentials(address: string): Promise<MailboxCredentials | null> {
    const [row] = await rowsOf<{
      address: string;
      password_hash: string;
      status: MailboxCredentials['status'];
      expires_at: Date | null;
    }>(
      this.db,
      sql`SELECT address, password_hash, status::text AS status, expires_at FROM mailboxes WHERE address = ${address.toLowerCase()}`,
    );
    return row
      ? {
          address: row.address,
          passwordHash: row.password_hash,
          status: row.status,
          expiresAt: row.expires_at,
        }
      : null;
  }

  async find(address: string): Promise<LocalMailbox | null> {
    const key = address.toLowerCase();
    const cached = this.fresh(key);
    if (cached) return cached.mailbox && { ...cached.mailbox };
    let read = this.reading.get(key);
    if (!read) {
      read = this.read(key).finally(() => this.reading.delete(key));
      this.reading.set(key, read);
    }
    const mailbox = await read;
    return mailbox && { ...mailbox };
  }

  /**
   * Counts a stored message at once in the remembered usage, and in the database with the next usage
   * write (class comment). Resolves without waiting for that write.
   */
  async recordDelivery(address: string, bytes: number): Promise<void> {
    const key = address.toLowerCase();
    // A fresh "no such mailbox" (our service address, usually): nothing to count.
    const cached = this.fresh(key);
    if (cached && !cached.mailbox) return;
    if (cached?.mailbox) cached.mailbox.usedBytes = (cached.mailbox.usedBytes ?? 0) + bytes;
    this.unwritten.set(key, (this.unwritten.get(key) ?? 0) + bytes);
    this.scheduleUsageWrite();
  }

  private scheduleUsageWrite(): void {
    if (this.closed) return;
    this.usageTimer ??= setTimeout(() => {
      this.usageTimer = undefined;
      this.writeUsage().catch(this.onUsageWriteError);
    }, this.usageWriteDelayMs);
  }

  /**
   * Writes every counted byte to the database now (after the write under way, if any). On failure
   * the bytes stay counted for the next write, and the error is thrown.
   */
  async writeUsage(): Promise<void> {
    while (this.usageWrite) await this.usageWrite.catch(() => undefined);
    clearTimeout(this.usageTimer);
    this.usageTimer = undefined;
    if (this.unwritten.size === 0) return;
    const batch = this.unwritten;
    this.unwritten = new Map();
    this.usageWrite = this.addUsage(batch)
      .catch((err: Error) => {
        for (const [key, bytes] of batch) this.unwritten.set(key, (this.unwritten.get(key) ?? 0) + bytes);
        this.scheduleUsageWrite();
        throw err;
      })
      .finally(() => {
        this.usageWrite = undefined;
      });
    await this.usageWrite;
  }

  /** Writes what is still counted, once and without retrying later: for shutdown. */
  async close(): Promise<void> {
    this.closed = true;
    await this.writeUsage();
  }

  private async addUsage(added: Map<string, number>): Promise<void> {
    const rows = await rowsOf<{ address: string; used_bytes: string | bigint }>(
      this.db,
      sql`
      UPDATE mailboxes m SET used_bytes = m.used_bytes + x.bytes
      FROM unnest(${[...added.keys()]}::text[], ${[...added.values()]}::bigint[]) AS x(address, bytes)
      WHERE m.address = x.address
      RETURNING m.address, m.used_bytes`,
    );
    const totals = new Map(rows.map((r) => [r.address, Number(r.used_bytes)]));
    for (const key of added.keys()) {
      const total = totals.get(key);
      // A read that started before this write may land after it: let it, then put the count right.
      await this.reading.get(key)?.catch(() => undefined);
      const entry = this.cache.get(key);
      if (total === undefined) this.remember(key, null);
      else if (entry?.mailbox)
        // the database's total now includes other nodes' deliveries; ours since are not in it yet
        entry.mailbox.usedBytes = Math.max(entry.mailbox.usedBytes ?? 0, total + (this.unwritten.get(key) ?? 0));
    }
  }

  private fresh(key: string): CachedMailbox | undefined {
    const cached = this.cache.get(key);
    if (cached && cached.until > Date.now()) return cached;
    if (cached) this.cache.delete(key);
    return undefined;
  }

  private remember(key: string, mailbox: LocalMailbox | null): void {
    if (this.ttlMs <= 0) return;
    if (this.cache.size >= maxCachedAddresses) this.cache.clear();
    this.cache.set(key, { mailbox, until: Date.now() + this.ttlMs });
  }

  private async read(key: string): Promise<LocalMailbox | null> {
    const [m] = await rowsOf<MailboxRow>(
      this.db,
      sql`
      SELECT address, status::text AS status, expires_at, quota_bytes, used_bytes, ordinary_mail_policy::text AS ordinary_mail_policy
      FROM mailboxes WHERE address = ${key}`,
    );
    const mailbox: LocalMailbox | null = m
      ? {
          address: m.address,
          status: m.status,
          expiresAt: m.expires_at,
          quotaBytes: Number(m.quota_bytes),
          // bytes this node counted and has not written yet are not in the row
          usedBytes: Number(m.used_bytes) + (this.unwritten.get(key) ?? 0),
          ordinaryMail: m.ordinary_mail_policy === 'REFUSE' ? 'refuse' : 'anomalia',
        }
      : null;
    this.remember(key, mailbox);
    return mailbox;
  }
}

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
 */
import type { PrismaClient } from '@/lib/db/client';
import { rowsOf, sql, sqlClientOf, type SqlClient } from '@/lib/db/sql';
import { NaturalBatch } from './natural-batch';
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

export class DatabaseMailboxDirectory implements MailboxDirectory {
  private readonly cache = new Map<string, CachedMailbox>();
  /** Concurrent misses for one address share one query. */
  private readonly reading = new Map<string, Promise<LocalMailbox | null>>();
  private readonly ttlMs: number;
  private readonly db: SqlClient;
  /** usage added by deliveries meanwhile goes in one UPDATE; each caller gets its address's new total */
  private readonly usage = new NaturalBatch<{ key: string; bytes: number }, number | null>((items) =>
    this.addUsage(items),
  );

  constructor(db: SqlClient | PrismaClient, options: { ttlMs?: number } = {}) {
    this.db = sqlClientOf(db);
    this.ttlMs = options.ttlMs ?? 1500;
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

  async recordDelivery(address: string, bytes: number): Promise<void> {
    const key = address.toLowerCase();
    // A fresh "no such mailbox" (our service address, usually): nothing to count.
    const cached = this.fresh(key);
    if (cached && !cached.mailbox) return;
    const used = await this.usage.submit({ key, bytes });
    // a read that started before this update may land after it: let it, then put the count right
    await this.reading.get(key)?.catch(() => undefined);
    const entry = this.cache.get(key);
    if (used === null) this.remember(key, null);
    else if (entry?.mailbox) entry.mailbox.usedBytes = Math.max(entry.mailbox.usedBytes ?? 0, used);
  }

  private async addUsage(items: { key: string; bytes: number }[]): Promise<(number | null)[]> {
    // one row per address (an UPDATE … FROM meets each target row once)
    const added = new Map<string, number>();
    for (const i of items) added.set(i.key, (added.get(i.key) ?? 0) + i.bytes);
    const rows = await rowsOf<{ address: string; used_bytes: string | bigint }>(
      this.db,
      sql`
      UPDATE mailboxes m SET used_bytes = m.used_bytes + x.bytes
      FROM unnest(${[...added.keys()]}::text[], ${[...added.values()]}::bigint[]) AS x(address, bytes)
      WHERE m.address = x.address
      RETURNING m.address, m.used_bytes`,
    );
    const used = new Map(rows.map((r) => [r.address, Number(r.used_bytes)]));
    return items.map((i) => used.get(i.key) ?? null);
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
          usedBytes: Number(m.used_bytes),
          ordinaryMail: m.ordinary_mail_policy === 'REFUSE' ? 'refuse' : 'anomalia',
        }
      : null;
    this.remember(key, mailbox);
    return mailbox;
  }
}

/**
 * The reception and delivery points' view of our mailboxes, read from the `mailboxes` table.
 * Usage is kept in `used_bytes` (incremented per stored message, not a change of the mailbox: no
 * `updated_at`) so quota checks need no Maildir scan.
 * Raw statements: these run several times per message, where Prisma's per-call cost showed up in
 * the exchange profile (see transmission-log-db.ts for the figures).
 */
import type { PrismaClient } from '@/lib/db/client';
import type { LocalMailbox, MailboxDirectory } from './reception';

interface MailboxRow {
  address: string;
  status: LocalMailbox['status'];
  expires_at: Date | null;
  quota_bytes: bigint;
  used_bytes: bigint;
  ordinary_mail_policy: string;
}

export class DatabaseMailboxDirectory implements MailboxDirectory {
  constructor(private readonly prisma: PrismaClient) {}

  async find(address: string): Promise<LocalMailbox | null> {
    const [m] = await this.prisma.$queryRaw<MailboxRow[]>`
      SELECT address, status::text AS status, expires_at, quota_bytes, used_bytes, ordinary_mail_policy::text AS ordinary_mail_policy
      FROM mailboxes WHERE address = ${address.toLowerCase()}`;
    if (!m) return null;
    return {
      address: m.address,
      status: m.status,
      expiresAt: m.expires_at,
      quotaBytes: Number(m.quota_bytes),
      usedBytes: Number(m.used_bytes),
      ordinaryMail: m.ordinary_mail_policy === 'REFUSE' ? 'refuse' : 'anomalia',
    };
  }

  async recordDelivery(address: string, bytes: number): Promise<void> {
    await this.prisma.$executeRaw`
      UPDATE mailboxes SET used_bytes = used_bytes + ${bytes} WHERE address = ${address.toLowerCase()}`;
  }
}

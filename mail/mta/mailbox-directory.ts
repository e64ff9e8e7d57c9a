/**
 * The reception and delivery points' view of our mailboxes, read from the `mailboxes` table.
 * Usage is kept in `used_bytes` (incremented per stored message) so quota checks need no Maildir scan.
 */
import type { PrismaClient } from '@/lib/db/client';
import type { LocalMailbox, MailboxDirectory } from './reception';

export class DatabaseMailboxDirectory implements MailboxDirectory {
  constructor(private readonly prisma: PrismaClient) {}

  async find(address: string): Promise<LocalMailbox | null> {
    const m = await this.prisma.mailbox.findUnique({
      where: { address: address.toLowerCase() },
      select: { address: true, status: true, expiresAt: true, quotaBytes: true, usedBytes: true, ordinaryMailPolicy: true },
    });
    if (!m) return null;
    return {
      address: m.address,
      status: m.status,
      expiresAt: m.expiresAt,
      quotaBytes: Number(m.quotaBytes),
      usedBytes: Number(m.usedBytes),
      ordinaryMail: m.ordinaryMailPolicy === 'REFUSE' ? 'refuse' : 'anomalia',
    };
  }

  async recordDelivery(address: string, bytes: number): Promise<void> {
    await this.prisma.mailbox.updateMany({
      where: { address: address.toLowerCase() },
      data: { usedBytes: { increment: BigInt(bytes) } },
    });
  }
}

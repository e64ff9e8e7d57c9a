/** Test helper of the lifecycle suites: a mailbox like the fixture's `like`, expiring when asked. */
import type { PrismaClient } from '@/lib/db';

export async function createExpiringMailbox(
  db: PrismaClient,
  like: string,
  m: { localPart: string; expiresAt: Date; renewalMode?: 'AUTOMATIC' | 'MANUAL'; contact?: string | null },
) {
  const base = await db.mailbox.findUniqueOrThrow({ where: { id: like } });
  return db.mailbox.create({
    data: {
      ...base,
      id: undefined,
      createdAt: undefined,
      updatedAt: undefined,
      address: `${m.localPart}@${base.address.split('@')[1]}`,
      localPart: m.localPart,
      expiresAt: m.expiresAt,
      renewalMode: m.renewalMode ?? 'MANUAL',
      holderContactEmail: m.contact === undefined ? `${m.localPart}@ordinaria.example` : m.contact,
    },
  });
}

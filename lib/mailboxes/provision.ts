/**
 * Writing mailboxes: the one place a mailbox row is created, so every path (create form, CSV
 * import, activation approval) checks availability and the domain/organization limits the same
 * way and tells the MTA. Call inside a transaction: a failure leaves nothing behind.
 * Maildirs are not created here: the MTA creates them on first delivery.
 */
import type { Prisma } from '@/lib/db';
import type { Domain, Mailbox } from '@/prisma/generated/client';
import { ActionError } from '@/lib/audit/action';
import { notifyConfigChanged } from '@/lib/db/config-changes';
import type { HolderFields } from './holder';
import { mebibyte } from './holder';

type Tx = Prisma.TransactionClient;

export interface MailboxDraft extends HolderFields {
  localPart: string;
  organizationId: string;
  quotaMb: number;
  expiresOn: Date;
  passwordHash: string;
}

/** The domain row locked for this transaction, so concurrent creations count one after another. */
export async function lockDomain(tx: Tx, domainId: string): Promise<void> {
  await tx.$queryRaw`SELECT id FROM domains WHERE id = ${domainId}::uuid FOR UPDATE`;
}

/** Mailboxes that count against limits: all but ceased ones. */
export async function countLiveMailboxes(tx: Tx, where: { domainId?: string; organizationId?: string }): Promise<number> {
  return tx.mailbox.count({ where: { ...where, status: { not: 'CEASED' } } });
}

/** Room left in the domain and in the owning organization (Infinity: no limit). */
export async function remainingCapacity(tx: Tx, domain: Pick<Domain, 'id' | 'mailboxLimit'>, organizationId: string): Promise<number> {
  let room = Infinity;
  if (domain.mailboxLimit !== null) room = domain.mailboxLimit - (await countLiveMailboxes(tx, { domainId: domain.id }));
  const org = await tx.organization.findUnique({ where: { id: organizationId }, select: { mailboxLimit: true } });
  if (org?.mailboxLimit != null) room = Math.min(room, org.mailboxLimit - (await countLiveMailboxes(tx, { organizationId })));
  return Math.max(room, 0);
}

/**
 * Creates mailboxes on one domain. The caller has authorized the actor and validated the drafts;
 * this re-checks what only the database knows (address taken, limits) under the domain lock.
 */
export async function provisionMailboxes(
  tx: Tx,
  domain: Pick<Domain, 'id' | 'name' | 'mailboxLimit' | 'verificationState'>,
  drafts: MailboxDraft[],
): Promise<Mailbox[]> {
  if (domain.verificationState !== 'VERIFIED') throw new ActionError('mailboxes.domainNotActive', { domainId: 'mailboxes.domainNotActive' });
  await lockDomain(tx, domain.id);
  const addresses = drafts.map((d) => `${d.localPart}@${domain.name}`);
  const taken = await tx.mailbox.findMany({ where: { address: { in: addresses } }, select: { address: true } });
  if (taken.length > 0) throw new ActionError('mailboxes.addressTaken', { localPart: 'mailboxes.addressTaken' });
  const byOrg = new Map<string, number>();
  for (const d of drafts) byOrg.set(d.organizationId, (byOrg.get(d.organizationId) ?? 0) + 1);
  for (const [organizationId, count] of byOrg) {
    if ((await remainingCapacity(tx, domain, organizationId)) < count) {
      throw new ActionError('mailboxes.limitReached', { localPart: 'mailboxes.limitReached' });
    }
  }
  const created: Mailbox[] = [];
  for (const [i, d] of drafts.entries()) {
    const mailbox = await tx.mailbox.create({
      data: {
        address: addresses[i],
        localPart: d.localPart,
        domainId: domain.id,
        organizationId: d.organizationId,
        holderType: d.holderType,
        holderName: d.holderName,
        holderSurname: d.holderSurname ?? null,
        holderFiscalCode: d.holderFiscalCode ?? null,
        holderVatNumber: d.holderVatNumber ?? null,
        holderContactEmail: d.holderContactEmail ?? null,
        quotaBytes: BigInt(d.quotaMb) * mebibyte,
        expiresAt: d.expiresOn,
        passwordHash: d.passwordHash,
      },
    });
    await notifyConfigChanged(tx, 'mailbox', mailbox.id);
    created.push(mailbox);
  }
  return created;
}

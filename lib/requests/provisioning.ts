/**
 * What approval does, inside the approving transaction: an activation creates the mailbox (and its
 * MAILBOX_HOLDER user, who logs in with the address and the same initial password), a renewal
 * extends the expiry. Any failure throws, so the transaction leaves nothing half-written.
 */
import type { Prisma } from '@/lib/db';
import type { Mailbox, MailboxRequest } from '@/prisma/generated/client';
import { ActionError } from '@/lib/audit/action';
import { recordAuditEvent, type AuditContext } from '@/lib/audit/record';
import { generatePassword, hashPassword } from '@/lib/passwords';
import { holderTypeOf, type HolderKind } from './form';
import { findPlan } from './plans';

type Tx = Prisma.TransactionClient;

/** Adds whole years in UTC (29 February + 1 year → 1 March). */
export function addYears(date: Date, years: number): Date {
  const d = new Date(date.getTime());
  d.setUTCFullYear(d.getUTCFullYear() + years);
  return d;
}

/** A renewal counts from the current expiry while the mailbox is still running, else from today. */
export function renewedExpiry(currentExpiry: Date, years: number, now: Date): Date {
  return addYears(currentExpiry.getTime() > now.getTime() ? currentExpiry : now, years);
}

interface FormData {
  holderKind?: HolderKind;
  holderName?: string;
  vatNumber?: string;
  fiscalCode?: string;
  contactEmail?: string;
  renewalMode?: 'AUTOMATIC' | 'MANUAL';
}

export interface ProvisionedMailbox {
  mailbox: Mailbox;
  password: string;
  holderUserId: string | null;
}

export async function provisionActivation(tx: Tx, request: MailboxRequest, audit: AuditContext, now: Date): Promise<ProvisionedMailbox> {
  const form = request.formData as FormData;
  const plan = findPlan(request.plan);
  if (!plan || !request.requestedAddress || !request.domainId || !form.holderKind || !form.holderName) {
    throw new ActionError('requests.errors.incomplete');
  }
  const domain = await tx.domain.findUnique({ where: { id: request.domainId } });
  if (!domain || domain.verificationState !== 'VERIFIED') throw new ActionError('requests.errors.domainGone');
  // taken since the request was filed: say so plainly, before anything is written
  if (await tx.mailbox.findUnique({ where: { address: request.requestedAddress }, select: { id: true } })) {
    throw new ActionError('requests.errors.addressTakenMeanwhile');
  }
  const requester = await tx.organization.findUniqueOrThrow({ where: { id: request.requesterOrganizationId } });
  // The mailbox belongs to the customer company; a request filed by the provider itself (public
  // form) becomes a new customer organization under it.
  const organizationId =
    requester.kind === 'COMPANY'
      ? requester.id
      : (
          await tx.organization.create({
            data: {
              kind: 'COMPANY',
              name: form.holderName,
              parentId: requester.id,
              vatNumber: form.vatNumber || null,
              fiscalCode: form.fiscalCode || null,
              contactEmail: form.contactEmail || null,
            },
          })
        ).id;
  const password = generatePassword();
  const passwordHash = await hashPassword(password);
  const [localPart] = request.requestedAddress.split('@');
  const mailbox = await tx.mailbox.create({
    data: {
      address: request.requestedAddress,
      localPart,
      domainId: domain.id,
      organizationId,
      holderType: holderTypeOf[form.holderKind],
      holderName: form.holderName,
      holderFiscalCode: form.fiscalCode || null,
      holderVatNumber: form.vatNumber || null,
      holderContactEmail: form.contactEmail || null,
      status: 'ACTIVE',
      quotaBytes: plan.quotaBytes,
      expiresAt: addYears(now, request.durationYears),
      renewalMode: form.renewalMode ?? 'MANUAL',
      passwordHash,
    },
  });
  // the holder's portal account (own mailbox, password, expiry); skipped if that login already exists
  const existingUser = await tx.user.findUnique({ where: { email: mailbox.address }, select: { id: true } });
  const holder = existingUser
    ? null
    : await tx.user.create({
        data: {
          email: mailbox.address,
          displayName: form.holderName,
          role: 'MAILBOX_HOLDER',
          organizationId,
          mailboxId: mailbox.id,
          passwordHash,
          mustChangePassword: true,
        },
      });
  await recordAuditEvent(tx, audit, {
    action: 'mailbox.provision',
    entityType: 'Mailbox',
    entityId: mailbox.id,
    before: null,
    after: { ...mailbox, passwordHash: 'set', requestId: request.id },
    organizationId,
  });
  return { mailbox, password, holderUserId: holder?.id ?? null };
}

export async function applyRenewal(tx: Tx, request: MailboxRequest, audit: AuditContext, now: Date): Promise<Mailbox> {
  if (!request.mailboxId) throw new ActionError('requests.errors.incomplete');
  const before = await tx.mailbox.findUnique({ where: { id: request.mailboxId } });
  if (!before) throw new ActionError('requests.errors.mailboxGone');
  if (before.status === 'CEASED') throw new ActionError('requests.errors.mailboxCeased');
  const form = request.formData as FormData;
  const plan = findPlan(request.plan);
  const after = await tx.mailbox.update({
    where: { id: before.id },
    data: {
      expiresAt: renewedExpiry(before.expiresAt, request.durationYears, now),
      // an expired (suspended) mailbox sends again once renewed; an administrative suspension stays
      status: before.status === 'EXPIRED' ? 'ACTIVE' : before.status,
      statusReason: before.status === 'EXPIRED' ? null : before.statusReason,
      quotaBytes: plan && plan.quotaBytes > before.quotaBytes ? plan.quotaBytes : before.quotaBytes,
      renewalMode: form.renewalMode ?? before.renewalMode,
      holderContactEmail: form.contactEmail || before.holderContactEmail,
    },
  });
  await recordAuditEvent(tx, audit, {
    action: 'mailbox.renew',
    entityType: 'Mailbox',
    entityId: after.id,
    before: { expiresAt: before.expiresAt, status: before.status },
    after: { expiresAt: after.expiresAt, status: after.status, requestId: request.id },
    organizationId: after.organizationId,
  });
  return after;
}

/** Mailbox mutations as audited action specs (wired in actions.ts, tested in specs.test.ts). */
import { z } from 'zod';
import { ActionError, type ActionSpec } from '@/lib/audit/action';
import { optionalText } from '@/lib/audit/form-fields';
import { getConfig } from '@/lib/config';
import { notifyConfigChanged } from '@/lib/db/config-changes';
import { applyMailboxImport, type ImportResult } from '@/lib/mailboxes/csv-import';
import { expiryField, holderFields, localPartField, mebibyte, quotaMbField } from '@/lib/mailboxes/holder';
import { generateMailboxPassword, loadBreachedPasswords, mailboxPasswordProblem } from '@/lib/mailboxes/password-policy';
import { provisionMailboxes } from '@/lib/mailboxes/provision';
import { hashPassword } from '@/lib/passwords';
import { canChangeMailboxPassword, canCreateMailbox, canManageMailbox, inScope } from '@/lib/permissions';
import { getDomainForActor } from '@/lib/queries/domains';
import { getMailboxForActor } from '@/lib/queries/mailboxes';
import { getOrganizationForActor } from '@/lib/queries/organizations';
import type { Mailbox } from '@/prisma/generated/client';

const createInput = z
  .object({
    organizationId: z.string().uuid(),
    domainId: z.string().uuid(),
    localPart: localPartField,
    quotaMb: quotaMbField,
    expiresOn: expiryField,
  })
  .and(holderFields);

type CreateTarget = {
  organization: NonNullable<Awaited<ReturnType<typeof getOrganizationForActor>>>;
  domain: NonNullable<Awaited<ReturnType<typeof getDomainForActor>>>;
};

export interface CreatedMailbox {
  mailbox: Mailbox;
  /** the initial password, shown once */
  password: string;
}

export const createMailboxSpec: ActionSpec<typeof createInput, CreateTarget, CreatedMailbox> = {
  action: 'mailbox.create',
  entityType: 'Mailbox',
  input: createInput,
  async load({ actor, input, tx }) {
    const [organization, domain] = await Promise.all([
      getOrganizationForActor(tx, actor, input.organizationId),
      getDomainForActor(tx, actor, input.domainId),
    ]);
    return organization && domain ? { organization, domain } : null;
  },
  authorize: ({ actor, target }) => !!target && canCreateMailbox(actor, target.organization.id),
  async run({ input, target, tx }) {
    const { domain, organization } = target!;
    // a company domain carries the mailboxes of its own company only
    if (domain.kind === 'COMPANY' && domain.organizationId !== organization.id) {
      throw new ActionError('mailboxes.domainNotAllowed', { domainId: 'mailboxes.domainNotAllowed' });
    }
    const password = generateMailboxPassword();
    const [mailbox] = await provisionMailboxes(tx, domain, [
      { ...input, organizationId: organization.id, passwordHash: await hashPassword(password) },
    ]);
    return { result: { mailbox, password }, entityId: mailbox.id, organizationId: mailbox.organizationId, before: null, after: mailbox };
  },
};

const idInput = z.object({ id: z.string().uuid() });
const load: ActionSpec<typeof idInput, Mailbox, unknown>['load'] = ({ actor, input, tx }) => getMailboxForActor(tx, actor, input.id);

async function updateMailbox(
  tx: Parameters<NonNullable<typeof load>>[0]['tx'],
  id: string,
  data: Parameters<typeof tx.mailbox.update>[0]['data'],
): Promise<Mailbox> {
  const mailbox = await tx.mailbox.update({ where: { id }, data });
  await notifyConfigChanged(tx, 'mailbox', id);
  return mailbox;
}

const suspendInput = z.object({ id: z.string().uuid(), reason: optionalText(300) });

/** ACTIVE → SUSPENDED: the MTA refuses login and delivery from the next notification on. */
export const suspendMailboxSpec: ActionSpec<typeof suspendInput, Mailbox, Mailbox> = {
  action: 'mailbox.suspend',
  entityType: 'Mailbox',
  input: suspendInput,
  load: ({ actor, input, tx }) => getMailboxForActor(tx, actor, input.id),
  authorize: ({ actor, target }) => !!target && canManageMailbox(actor, target),
  async run({ input, target, tx }) {
    if (target!.status !== 'ACTIVE') throw new ActionError('mailboxes.notActive');
    const after = await updateMailbox(tx, target!.id, { status: 'SUSPENDED', statusReason: input.reason ?? null });
    return { result: after, entityId: after.id, after };
  },
};

/** SUSPENDED → ACTIVE, unless the mailbox has expired meanwhile (renewal first). */
export const reactivateMailboxSpec: ActionSpec<typeof idInput, Mailbox, Mailbox> = {
  action: 'mailbox.reactivate',
  entityType: 'Mailbox',
  input: idInput,
  load,
  authorize: ({ actor, target }) => !!target && canManageMailbox(actor, target),
  async run({ target, tx }) {
    if (target!.status !== 'SUSPENDED') throw new ActionError('mailboxes.notSuspended');
    if (target!.expiresAt.getTime() <= Date.now()) throw new ActionError('mailboxes.expiredCannotReactivate');
    const after = await updateMailbox(tx, target!.id, { status: 'ACTIVE', statusReason: null });
    return { result: after, entityId: after.id, after };
  },
};

const passwordInput = z.object({
  id: z.string().uuid(),
  password: z.preprocess((v) => (typeof v === 'string' && v === '' ? undefined : v), z.string().max(200).optional()),
});

/**
 * Admin reset (or the holder's own change): a chosen password must pass the policy; none given →
 * a generated one. Either way it is returned once and only its hash is stored.
 */
export function resetMailboxPasswordSpec(
  breachedFile: () => string | undefined = () => getConfig().breachedPasswordsFile,
): ActionSpec<typeof passwordInput, Mailbox, { address: string; password: string }> {
  return {
    action: 'mailbox.password_reset',
    entityType: 'Mailbox',
    input: passwordInput,
    load: ({ actor, input, tx }) => getMailboxForActor(tx, actor, input.id),
    authorize: ({ actor, target }) => !!target && canChangeMailboxPassword(actor, target),
    async run({ input, target, tx }) {
      const password = input.password ?? generateMailboxPassword();
      if (input.password !== undefined) {
        const problem = mailboxPasswordProblem(password, target!.address, loadBreachedPasswords(breachedFile()));
        if (problem) throw new ActionError(problem, { password: problem });
      }
      const after = await updateMailbox(tx, target!.id, { passwordHash: await hashPassword(password) });
      return { result: { address: after.address, password }, entityId: after.id, after };
    },
  };
}

const quotaInput = z.object({ id: z.string().uuid(), quotaMb: quotaMbField });

export const updateMailboxQuotaSpec: ActionSpec<typeof quotaInput, Mailbox, Mailbox> = {
  action: 'mailbox.update_quota',
  entityType: 'Mailbox',
  input: quotaInput,
  load: ({ actor, input, tx }) => getMailboxForActor(tx, actor, input.id),
  authorize: ({ actor, target }) => !!target && canManageMailbox(actor, target),
  async run({ input, target, tx }) {
    const quotaBytes = BigInt(input.quotaMb) * mebibyte;
    if (quotaBytes < target!.usedBytes) throw new ActionError('mailboxes.quotaBelowUsage', { quotaMb: 'mailboxes.quotaBelowUsage' });
    const after = await updateMailbox(tx, target!.id, { quotaBytes });
    return { result: after, entityId: after.id, after };
  },
};

const expiryInput = z.object({ id: z.string().uuid(), expiresOn: expiryField });

/** A new expiry; an EXPIRED mailbox given a future date becomes ACTIVE again. */
export const updateMailboxExpirySpec: ActionSpec<typeof expiryInput, Mailbox, Mailbox> = {
  action: 'mailbox.update_expiry',
  entityType: 'Mailbox',
  input: expiryInput,
  load: ({ actor, input, tx }) => getMailboxForActor(tx, actor, input.id),
  authorize: ({ actor, target }) => !!target && canManageMailbox(actor, target),
  async run({ input, target, tx }) {
    const after = await updateMailbox(tx, target!.id, {
      expiresAt: input.expiresOn,
      status: target!.status === 'EXPIRED' ? 'ACTIVE' : undefined,
    });
    return { result: after, entityId: after.id, after };
  },
};

const importInput = z.object({ organizationId: z.string().uuid(), csv: z.string().min(1) });

/** CSV import, all or nothing: the audit entry lists the mailboxes created (never the passwords). */
export const importMailboxesSpec: ActionSpec<typeof importInput, { id: string; organizationId: string }, ImportResult> = {
  action: 'mailbox.import',
  entityType: 'Organization',
  input: importInput,
  load: async ({ actor, input, tx }) => {
    const org = await getOrganizationForActor(tx, actor, input.organizationId);
    return org ? { id: org.id, organizationId: org.id } : null;
  },
  authorize: ({ actor, target }) => !!target && inScope(actor, target.id) && canCreateMailbox(actor, target.id),
  async run({ actor, input, tx }) {
    const result = await applyMailboxImport(tx, actor, input.organizationId, input.csv);
    return {
      result,
      entityId: input.organizationId,
      organizationId: input.organizationId,
      before: null,
      after: { created: result.created, mailboxIds: result.mailboxIds },
    };
  },
};

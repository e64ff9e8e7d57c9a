/** Domain mutations as audited action specs (wired in actions.ts, tested in specs.test.ts). */
import { z } from 'zod';
import type { ActionSpec } from '@/lib/audit/action';
import { ActionError } from '@/lib/audit/action';
import { optionalPositiveInt } from '@/lib/audit/form-fields';
import { notifyConfigChanged } from '@/lib/db/config-changes';
import { lookUpDomain, recordDomainCheck, type DnsCheckDeps } from '@/lib/dns/domain-check';
import { domainNamePattern, newVerificationToken } from '@/lib/dns/records';
import type { DnsProblem } from '@/lib/dns/verify';
import { canAddDomain, canManageDomain } from '@/lib/permissions';
import { getDomainForActor } from '@/lib/queries/domains';
import { getOrganizationForActor } from '@/lib/queries/organizations';
import type { Domain } from '@/prisma/generated/client';

const addInput = z.object({
  name: z.string().trim().toLowerCase().regex(domainNamePattern, 'domains.badName'),
  kind: z.enum(['PROVIDER_SHARED', 'COMPANY']),
  organizationId: z.string().uuid(),
  mailboxLimit: optionalPositiveInt,
});

type Org = NonNullable<Awaited<ReturnType<typeof getOrganizationForActor>>>;

export const addDomainSpec: ActionSpec<typeof addInput, Org, Domain> = {
  action: 'domain.create',
  entityType: 'Domain',
  input: addInput,
  // a shared domain always belongs to the provider organization, whatever the form said
  load: ({ actor, input, tx }) =>
    getOrganizationForActor(tx, actor, input.kind === 'PROVIDER_SHARED' ? actor.organizationId : input.organizationId),
  authorize: ({ actor, input, target }) =>
    !!target &&
    canAddDomain(actor, target.id, input.kind) &&
    // shared domains belong to the provider itself, company domains to a company
    (input.kind === 'PROVIDER_SHARED' ? target.kind === 'PROVIDER' : target.kind !== 'PROVIDER'),
  async run({ input, target, tx }) {
    if (await tx.domain.findUnique({ where: { name: input.name }, select: { id: true } })) {
      throw new ActionError('domains.nameTaken', { name: 'domains.nameTaken' });
    }
    const domain = await tx.domain.create({
      data: {
        name: input.name,
        kind: input.kind,
        organizationId: target!.id,
        mailboxLimit: input.mailboxLimit ?? null,
        verificationToken: newVerificationToken(),
      },
    });
    await notifyConfigChanged(tx, 'domain', domain.id);
    return { result: domain, entityId: domain.id, organizationId: domain.organizationId, before: null, after: domain };
  },
};

const idInput = z.object({ id: z.string().uuid() });
type DomainWithCount = NonNullable<Awaited<ReturnType<typeof getDomainForActor>>>;

function plain(d: DomainWithCount): Domain {
  const { organization: _o, _count, ...rest } = d;
  return rest;
}

/** "Verifica": real DNS lookups; all records in place → VERIFIED (active), else FAILED with the problems. */
export function verifyDomainSpec(deps: () => DnsCheckDeps): ActionSpec<typeof idInput, DomainWithCount, { verified: boolean; problems: DnsProblem[] }> {
  return {
    action: 'domain.verify',
    entityType: 'Domain',
    input: idInput,
    load: ({ actor, input, tx }) => getDomainForActor(tx, actor, input.id),
    authorize: ({ actor, target }) => !!target && canManageDomain(actor, target),
    async run({ target, tx }) {
      const before = plain(target!);
      const problems = await lookUpDomain(before, deps());
      const { domain } = await recordDomainCheck(tx, before, problems);
      return {
        result: { verified: problems.length === 0, problems },
        entityId: domain.id,
        before,
        after: domain,
      };
    },
  };
}

const limitInput = z.object({ id: z.string().uuid(), mailboxLimit: optionalPositiveInt });

export const updateDomainLimitSpec: ActionSpec<typeof limitInput, DomainWithCount, Domain> = {
  action: 'domain.update_limit',
  entityType: 'Domain',
  input: limitInput,
  load: ({ actor, input, tx }) => getDomainForActor(tx, actor, input.id),
  authorize: ({ actor, target }) => !!target && canManageDomain(actor, target),
  async run({ input, target, tx }) {
    const before = plain(target!);
    if (input.mailboxLimit !== undefined && input.mailboxLimit < target!._count.mailboxes) {
      throw new ActionError('domains.limitBelowCount', { mailboxLimit: 'domains.limitBelowCount' });
    }
    const domain = await tx.domain.update({ where: { id: before.id }, data: { mailboxLimit: input.mailboxLimit ?? null } });
    await notifyConfigChanged(tx, 'domain', domain.id);
    return { result: domain, entityId: domain.id, before, after: domain };
  },
};

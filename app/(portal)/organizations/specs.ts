/** Organization mutations as audited action specs (wired in actions.ts, tested in specs.test.ts). */
import { z } from 'zod';
import type { ActionSpec } from '@/lib/audit/action';
import { checkbox, optionalEmail, optionalPositiveInt, optionalText } from '@/lib/audit/form-fields';
import type { Organization } from '@/prisma/generated/client';
import { canCreateOrganization, canEditOrganization, canGrantActivationApproval } from '@/lib/permissions';
import { getOrganizationForActor } from '@/lib/queries/organizations';

const createInput = z.object({
  kind: z.enum(['RESELLER', 'COMPANY']),
  parentId: z.string().uuid(),
  name: z.string().trim().min(2).max(200),
  vatNumber: z.preprocess(
    (v) => (typeof v === 'string' && v.trim() === '' ? undefined : v),
    z.string().trim().regex(/^\d{11}$/).optional(),
  ),
  fiscalCode: optionalText(16),
  contactEmail: optionalEmail,
  requireTotpForAdmins: checkbox,
});

type ParentOrg = NonNullable<Awaited<ReturnType<typeof getOrganizationForActor>>>;

export const createOrganizationSpec: ActionSpec<typeof createInput, ParentOrg, Organization> = {
  action: 'organization.create',
  entityType: 'Organization',
  input: createInput,
  load: ({ actor, input, tx }) => getOrganizationForActor(tx, actor, input.parentId),
  authorize: ({ actor, input, target }) => !!target && canCreateOrganization(actor, input.kind, target),
  async run({ input, tx }) {
    const org = await tx.organization.create({
      data: {
        kind: input.kind,
        parentId: input.parentId,
        name: input.name,
        vatNumber: input.vatNumber ?? null,
        fiscalCode: input.fiscalCode?.toUpperCase() ?? null,
        contactEmail: input.contactEmail ?? null,
        requireTotpForAdmins: input.requireTotpForAdmins,
      },
    });
    return { result: org, entityId: org.id, organizationId: org.id, before: null, after: org };
  },
};

const updateInput = z.object({
  id: z.string().uuid(),
  name: z.string().trim().min(2).max(200),
  contactEmail: optionalEmail,
  requireTotpForAdmins: checkbox,
  mayApproveActivations: checkbox,
  mailboxLimit: optionalPositiveInt,
  disabled: checkbox,
});

export const updateOrganizationSpec: ActionSpec<typeof updateInput, ParentOrg, Organization> = {
  action: 'organization.update',
  entityType: 'Organization',
  input: updateInput,
  load: ({ actor, input, tx }) => getOrganizationForActor(tx, actor, input.id),
  authorize: ({ actor, target }) => !!target && canEditOrganization(actor, target),
  async run({ actor, input, target, tx }) {
    const before = target!;
    const updated = await tx.organization.update({
      where: { id: before.id },
      data: {
        name: input.name,
        contactEmail: input.contactEmail ?? null,
        requireTotpForAdmins: input.requireTotpForAdmins,
        mailboxLimit: input.mailboxLimit ?? null,
        // only the provider grants approval rights, and nobody disables its own organization
        mayApproveActivations: canGrantActivationApproval(actor, before) ? input.mayApproveActivations : undefined,
        disabled: before.id === actor.organizationId ? undefined : input.disabled,
      },
    });
    const { parent: _p, children: _c, _count, ...plainBefore } = before;
    return { result: updated, entityId: updated.id, organizationId: updated.id, before: plainBefore, after: updated };
  },
};

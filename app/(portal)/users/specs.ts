/** Portal user mutations as audited action specs: create, reset password, disable/enable. */
import { z } from 'zod';
import { ActionError, type ActionSpec } from '@/lib/audit/action';
import { emailField, optionalText } from '@/lib/audit/form-fields';
import { generatePassword, hashPassword } from '@/lib/passwords';
import { canCreateUser, canManageUser } from '@/lib/permissions';
import { getOrganizationForActor } from '@/lib/queries/organizations';
import { getUserForActor } from '@/lib/queries/users';
import type { User } from '@/prisma/generated/client';

const createInput = z.object({
  email: emailField,
  displayName: optionalText(200),
  role: z.enum(['PROVIDER_ADMIN', 'RESELLER_ADMIN', 'COMPANY_ADMIN', 'AUDITOR', 'MAILBOX_HOLDER']),
  organizationId: z.string().uuid(),
  mailboxAddress: optionalText(320),
});

type Org = NonNullable<Awaited<ReturnType<typeof getOrganizationForActor>>>;

/** A new user gets a random password, shown once, to change at the first login. */
export const createUserSpec: ActionSpec<typeof createInput, Org, { id: string; email: string; password: string }> = {
  action: 'user.create',
  entityType: 'User',
  input: createInput,
  load: ({ actor, input, tx }) => getOrganizationForActor(tx, actor, input.organizationId),
  authorize: ({ actor, input, target }) => !!target && canCreateUser(actor, input.role, target),
  async run({ input, target, tx }) {
    let mailboxId: string | null = null;
    if (input.role === 'MAILBOX_HOLDER') {
      const mailbox = input.mailboxAddress
        ? await tx.mailbox.findFirst({
            where: { address: input.mailboxAddress.toLowerCase(), organizationId: target!.id },
          })
        : null;
      if (!mailbox) throw new ActionError('users.mailboxRequired', { mailboxAddress: 'users.mailboxRequired' });
      mailboxId = mailbox.id;
    }
    const password = generatePassword();
    const user = await tx.user.create({
      data: {
        email: input.email,
        displayName: input.displayName ?? null,
        role: input.role,
        organizationId: target!.id,
        mailboxId,
        passwordHash: await hashPassword(password),
        mustChangePassword: true,
      },
    });
    return {
      result: { id: user.id, email: user.email, password },
      entityId: user.id,
      organizationId: user.organizationId,
      before: null,
      after: user,
    };
  },
};

const byId = z.object({ id: z.string().uuid() });

export const resetUserPasswordSpec: ActionSpec<typeof byId, User, { email: string; password: string }> = {
  action: 'user.password_reset',
  entityType: 'User',
  input: byId,
  load: ({ actor, input, tx }) => getUserForActor(tx, actor, input.id),
  authorize: ({ actor, target }) => !!target && canManageUser(actor, target),
  async run({ target, tx }) {
    const password = generatePassword();
    await tx.user.update({
      where: { id: target!.id },
      data: { passwordHash: await hashPassword(password), mustChangePassword: true, failedLoginCount: 0, lockedUntil: null },
    });
    return {
      result: { email: target!.email, password },
      entityId: target!.id,
      before: { passwordHash: 'old' },
      after: { passwordHash: 'reset', mustChangePassword: true },
    };
  },
};

const setDisabledInput = z.object({
  id: z.string().uuid(),
  disabled: z.preprocess((v) => v === true || v === 'true', z.boolean()),
});

export const setUserDisabledSpec: ActionSpec<typeof setDisabledInput, User, { disabled: boolean }> = {
  action: 'user.set_disabled',
  entityType: 'User',
  input: setDisabledInput,
  load: ({ actor, input, tx }) => getUserForActor(tx, actor, input.id),
  authorize: ({ actor, target }) => !!target && canManageUser(actor, target),
  async run({ input, target, tx }) {
    const updated = await tx.user.update({ where: { id: target!.id }, data: { disabled: input.disabled } });
    return {
      result: { disabled: updated.disabled },
      entityId: updated.id,
      before: { disabled: target!.disabled },
      after: { disabled: updated.disabled },
    };
  },
};

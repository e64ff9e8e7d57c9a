/**
 * The signed-in user's own security settings, as audited action specs (wired as server actions in
 * app/(portal)/profile/actions.ts): password change, TOTP enrolment/disable, recovery codes.
 * Each loads the actor's own user row: nobody changes someone else's credentials here.
 */
import QRCode from 'qrcode';
import { z } from 'zod';
import type { Prisma } from '@/lib/db';
import type { User } from '@/prisma/generated/client';
import { getConfig } from '@/lib/config';
import { hashPassword, verifyPassword } from '@/lib/passwords';
import { ActionError, type ActionSpec } from '@/lib/audit/action';
import { isAdmin } from '@/lib/permissions';
import { passwordPolicyProblem } from './password-policy';
import { createTotpSecret, generateRecoveryCodes, totpCodeStep, totpUri } from './totp';

type OwnUser = User & { organization: { requireTotpForAdmins: boolean } };

const loadOwnUser = ({ actor, tx }: { actor: { userId: string }; tx: Prisma.TransactionClient }) =>
  tx.user.findUnique({ where: { id: actor.userId }, include: { organization: true } }) as Promise<OwnUser | null>;

const ownUserOnly = ({ actor, target }: { actor: { userId: string }; target: OwnUser | undefined }) =>
  target?.id === actor.userId;

/** What the trail keeps about the security state (never the secrets). */
const securityState = (u: Pick<User, 'totpEnabledAt' | 'recoveryCodeHashes' | 'mustChangePassword'>) => ({
  totpEnabled: u.totpEnabledAt !== null,
  recoveryCodes: u.recoveryCodeHashes.length,
  mustChangePassword: u.mustChangePassword,
});

export const changePasswordSpec: ActionSpec<
  z.ZodObject<{ currentPassword: z.ZodString; newPassword: z.ZodString }>,
  OwnUser,
  null
> = {
  action: 'user.password_change',
  entityType: 'User',
  input: z.object({ currentPassword: z.string().min(1), newPassword: z.string().min(1).max(200) }),
  load: loadOwnUser,
  authorize: ownUserOnly,
  async run({ input, target, tx }) {
    const user = target!;
    if (!(await verifyPassword(user.passwordHash, input.currentPassword))) {
      throw new ActionError('profile.wrongPassword', { currentPassword: 'profile.wrongPassword' });
    }
    const problem = passwordPolicyProblem(input.newPassword, user.email);
    if (problem) throw new ActionError(problem, { newPassword: problem });
    const updated = await tx.user.update({
      where: { id: user.id },
      data: { passwordHash: await hashPassword(input.newPassword), mustChangePassword: false },
    });
    return {
      result: null,
      entityId: user.id,
      before: { passwordHash: 'changed', ...securityState(user) },
      after: { passwordHash: 'changed', ...securityState(updated) },
    };
  },
};

/** Step 1 of enrolment: a new pending secret (not yet required at login). */
export const startTotpEnrolmentSpec: ActionSpec<
  z.ZodObject<Record<string, never>>,
  OwnUser,
  { secret: string; uri: string; qrDataUrl: string }
> = {
  action: 'user.totp_enrolment_start',
  entityType: 'User',
  input: z.object({}),
  load: loadOwnUser,
  authorize: ownUserOnly,
  async run({ target, tx }) {
    const user = target!;
    if (user.totpEnabledAt) throw new ActionError('errors.failed');
    const secret = createTotpSecret();
    await tx.user.update({ where: { id: user.id }, data: { totpSecret: secret } });
    const uri = totpUri(secret, user.email, getConfig().provider.name);
    return {
      result: { secret, uri, qrDataUrl: await QRCode.toDataURL(uri, { margin: 1, width: 192 }) },
      entityId: user.id,
      before: securityState(user),
      after: { ...securityState(user), totpPending: true },
    };
  },
};

/** Step 2: the first code proves the app holds the secret; recovery codes are issued (shown once). */
export const confirmTotpEnrolmentSpec: ActionSpec<z.ZodObject<{ code: z.ZodString }>, OwnUser, { recoveryCodes: string[] }> =
  {
    action: 'user.totp_enable',
    entityType: 'User',
    input: z.object({ code: z.string().trim().regex(/^\d{6}$/) }),
    load: loadOwnUser,
    authorize: ownUserOnly,
    async run({ input, target, tx }) {
      const user = target!;
      const step = user.totpEnabledAt || !user.totpSecret ? null : totpCodeStep(user.totpSecret, input.code);
      if (step === null) throw new ActionError('profile.totpInvalid', { code: 'profile.totpInvalid' });
      const { codes, hashes } = generateRecoveryCodes();
      // the confirming code is spent: it cannot also open the next login
      const updated = await tx.user.update({
        where: { id: user.id },
        data: { totpEnabledAt: new Date(), recoveryCodeHashes: hashes, totpLastStep: step },
      });
      return { result: { recoveryCodes: codes }, entityId: user.id, before: securityState(user), after: securityState(updated) };
    },
  };

/** Needs the current password; refused for admins whose organization requires TOTP. */
export const disableTotpSpec: ActionSpec<z.ZodObject<{ currentPassword: z.ZodString }>, OwnUser, null> = {
  action: 'user.totp_disable',
  entityType: 'User',
  input: z.object({ currentPassword: z.string().min(1) }),
  load: loadOwnUser,
  authorize: ownUserOnly,
  async run({ actor, input, target, tx }) {
    const user = target!;
    if (isAdmin(actor) && user.organization.requireTotpForAdmins) throw new ActionError('profile.totpRequiredByOrg');
    if (!(await verifyPassword(user.passwordHash, input.currentPassword))) {
      throw new ActionError('profile.wrongPassword', { currentPassword: 'profile.wrongPassword' });
    }
    const updated = await tx.user.update({
      where: { id: user.id },
      data: { totpSecret: null, totpEnabledAt: null, recoveryCodeHashes: [], totpLastStep: null },
    });
    return { result: null, entityId: user.id, before: securityState(user), after: securityState(updated) };
  },
};

export const regenerateRecoveryCodesSpec: ActionSpec<z.ZodObject<Record<string, never>>, OwnUser, { recoveryCodes: string[] }> = {
  action: 'user.recovery_codes_regenerate',
  entityType: 'User',
  input: z.object({}),
  load: loadOwnUser,
  authorize: ownUserOnly,
  async run({ target, tx }) {
    const user = target!;
    if (!user.totpEnabledAt) throw new ActionError('errors.failed');
    const { codes, hashes } = generateRecoveryCodes();
    const updated = await tx.user.update({ where: { id: user.id }, data: { recoveryCodeHashes: hashes } });
    return { result: { recoveryCodes: codes }, entityId: user.id, before: securityState(user), after: securityState(updated) };
  },
};

'use server';
/** The user's own security settings; allowed while account set-up is pending (they are the set-up). */
import { getServerSession } from 'next-auth';
import { defineAction } from '@/lib/audit/server';
import { getAuthOptions } from '@/lib/auth/options';
import { refreshSessionFingerprint } from '@/lib/auth/session-cookie';
import { getPrisma } from '@/lib/db';
import {
  changePasswordSpec,
  confirmTotpEnrolmentSpec,
  disableTotpSpec,
  regenerateRecoveryCodesSpec,
  startTotpEnrolmentSpec,
} from '@/lib/auth/account';

const changePasswordAudited = defineAction(changePasswordSpec, {
  success: 'profile.passwordChanged',
  revalidate: ['/profile'],
  duringSetup: true,
});

/** Other sessions end with the old password; this one is re-issued with the new fingerprint. */
export async function changePassword(previous: unknown, form?: FormData) {
  const answer = await changePasswordAudited(previous, form);
  if (answer.ok) {
    const current = await getCurrentUserUnchecked();
    if (current) await refreshSessionFingerprint(current.passwordHash);
  }
  return answer;
}

export const startTotpEnrolment = defineAction(startTotpEnrolmentSpec, { success: 'profile.totpScan', duringSetup: true });

export const confirmTotpEnrolment = defineAction(confirmTotpEnrolmentSpec, {
  success: 'profile.totpEnabled',
  revalidate: ['/profile'],
  duringSetup: true,
});

export const disableTotp = defineAction(disableTotpSpec, { success: 'profile.totpDisabled', revalidate: ['/profile'] });

export const regenerateRecoveryCodes = defineAction(regenerateRecoveryCodesSpec, {
  success: 'profile.recoveryRegenerated',
  revalidate: ['/profile'],
});

/** The signed-in user's row without the fingerprint check (which the password change just broke). */
async function getCurrentUserUnchecked() {
  const session = await getServerSession(getAuthOptions());
  const id = (session?.user as { id?: string } | undefined)?.id;
  return id ? getPrisma().user.findUnique({ where: { id }, select: { passwordHash: true } }) : null;
}

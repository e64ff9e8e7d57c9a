'use server';
/** The user's own security settings; allowed while account set-up is pending (they are the set-up). */
import { defineAction } from '@/lib/audit/server';
import {
  changePasswordSpec,
  confirmTotpEnrolmentSpec,
  disableTotpSpec,
  regenerateRecoveryCodesSpec,
  startTotpEnrolmentSpec,
} from '@/lib/auth/account';

export const changePassword = defineAction(changePasswordSpec, {
  success: 'profile.passwordChanged',
  revalidate: ['/profile'],
  duringSetup: true,
});

export const startTotpEnrolment = defineAction(startTotpEnrolmentSpec, { success: 'profile.totpScan', duringSetup: true });

export const confirmTotpEnrolment = defineAction(confirmTotpEnrolmentSpec, {
  success: 'profile.totpEnabled',
  duringSetup: true,
});

export const disableTotp = defineAction(disableTotpSpec, { success: 'profile.totpDisabled', revalidate: ['/profile'] });

export const regenerateRecoveryCodes = defineAction(regenerateRecoveryCodesSpec, {
  success: 'profile.recoveryRegenerated',
});

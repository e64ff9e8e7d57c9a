/**
 * The login check behind the next-auth Credentials provider: password, then the TOTP code (or a
 * recovery code) when the user has enrolled one. Failures are counted per user; after
 * maxFailedLogins in a row the account is locked for lockoutMinutes, even for the right password.
 *
 * Failures are also counted per client IP (rate-limit.ts), which blocks that address for a while.
 *
 * What the caller learns is deliberately coarse: 'invalid' for an unknown e-mail, a wrong
 * password or a disabled account alike; 'totp_required' only once the password was right.
 */
import type { PrismaClient } from '@/lib/db';
import type { User } from '@/prisma/generated/client';
import { hashPassword, verifyPassword } from '@/lib/passwords';
import { recordAuditEvent } from '@/lib/audit/record';
import { loginFailuresByIp, type FailureLimiter } from './rate-limit';
import { consumeRecoveryCode, looksLikeRecoveryCode, totpCodeStep } from './totp';

export const maxFailedLogins = 5;
export const lockoutMinutes = 15;

export interface LoginAttempt {
  email: string;
  password: string;
  /** TOTP code or recovery code; absent on the first (password) step */
  code?: string;
  ip?: string | null;
  userAgent?: string | null;
}

export type LoginResult =
  | { ok: true; user: User; usedRecoveryCode: boolean }
  | { ok: false; reason: 'invalid' | 'locked' | 'totp_required' | 'totp_invalid' };

// Verified against when the e-mail is unknown, so both cases take the same argon2 time.
let dummyHash: Promise<string> | undefined;

async function registerFailure(db: PrismaClient, user: User, attempt: LoginAttempt, why: string): Promise<boolean> {
  const failures = user.failedLoginCount + 1;
  const lock = failures >= maxFailedLogins;
  await db.user.update({
    where: { id: user.id },
    data: {
      failedLoginCount: lock ? 0 : failures,
      lockedUntil: lock ? new Date(Date.now() + lockoutMinutes * 60_000) : undefined,
    },
  });
  await recordAuditEvent(
    db,
    { actorUserId: user.id, actorEmail: user.email, actorRole: user.role, ip: attempt.ip, userAgent: attempt.userAgent },
    {
      action: lock ? 'auth.locked' : 'auth.login_failed',
      entityType: 'User',
      entityId: user.id,
      organizationId: user.organizationId,
      after: { reason: why, failures },
    },
  );
  return lock;
}

export async function authenticate(
  db: PrismaClient,
  attempt: LoginAttempt,
  ipLimiter: FailureLimiter = loginFailuresByIp,
): Promise<LoginResult> {
  if (ipLimiter.blocked(attempt.ip)) return { ok: false, reason: 'locked' };
  const result = await check(db, attempt);
  if (!result.ok && result.reason !== 'totp_required') ipLimiter.fail(attempt.ip);
  return result;
}

async function check(db: PrismaClient, attempt: LoginAttempt): Promise<LoginResult> {
  const email = attempt.email.trim().toLowerCase();
  const user = email ? await db.user.findUnique({ where: { email }, include: { organization: true } }) : null;
  if (!user) {
    dummyHash ??= hashPassword('not-a-real-password');
    await verifyPassword(await dummyHash, attempt.password);
    return { ok: false, reason: 'invalid' };
  }
  if (user.lockedUntil && user.lockedUntil > new Date()) return { ok: false, reason: 'locked' };
  const passwordOk = await verifyPassword(user.passwordHash, attempt.password);
  if (!passwordOk || user.disabled || user.organization.disabled) {
    if (!passwordOk && (await registerFailure(db, user, attempt, 'password'))) return { ok: false, reason: 'locked' };
    return { ok: false, reason: 'invalid' };
  }

  let usedRecoveryCode = false;
  let remainingCodes: string[] | undefined;
  if (user.totpEnabledAt && user.totpSecret) {
    const code = attempt.code?.trim();
    if (!code) return { ok: false, reason: 'totp_required' };
    if (looksLikeRecoveryCode(code)) {
      const rest = consumeRecoveryCode(user.recoveryCodeHashes, code);
      if (rest) {
        usedRecoveryCode = true;
        remainingCodes = rest;
      }
    }
    if (!usedRecoveryCode) {
      const step = totpCodeStep(user.totpSecret, code);
      // A code is good once: its step must be newer than the last accepted one. Claimed with a
      // conditional update, so two logins racing with the same code cannot both pass.
      const claimed =
        step !== null &&
        (
          await db.user.updateMany({
            where: { id: user.id, OR: [{ totpLastStep: null }, { totpLastStep: { lt: step } }] },
            data: { totpLastStep: step },
          })
        ).count === 1;
      if (!claimed) {
        const why = step === null ? 'totp' : 'totp_replay';
        if (await registerFailure(db, user, attempt, why)) return { ok: false, reason: 'locked' };
        return { ok: false, reason: 'totp_invalid' };
      }
    }
  }

  if (usedRecoveryCode) {
    // Consumed only if still present: two logins racing with the same code cannot both succeed.
    const consumed = await db.user.updateMany({
      where: { id: user.id, recoveryCodeHashes: { equals: user.recoveryCodeHashes } },
      data: { recoveryCodeHashes: remainingCodes },
    });
    if (consumed.count !== 1) return { ok: false, reason: 'totp_invalid' };
  }
  const updated = await db.user.update({
    where: { id: user.id },
    data: { failedLoginCount: 0, lockedUntil: null, lastLoginAt: new Date(), lastLoginIp: attempt.ip ?? null },
  });
  await recordAuditEvent(
    db,
    { actorUserId: user.id, actorEmail: user.email, actorRole: user.role, ip: attempt.ip, userAgent: attempt.userAgent },
    {
      action: 'auth.login',
      entityType: 'User',
      entityId: user.id,
      organizationId: user.organizationId,
      after: usedRecoveryCode ? { recoveryCodeUsed: true, recoveryCodesLeft: remainingCodes?.length } : undefined,
    },
  );
  return { ok: true, user: updated, usedRecoveryCode };
}

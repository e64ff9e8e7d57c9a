/**
 * Login, lockout, TOTP enrolment/verification, single-use recovery codes, the password policy and
 * the session secret, against a real database (argon2id hashes, real audit rows).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '@/lib/config';
import { startTestDatabase, type TestDatabase } from '@/lib/db/testing';
import { executeAction } from '@/lib/audit/action';
import { loadActor, type Actor } from '@/lib/permissions';
import { verifyPassword } from '@/lib/passwords';
import { createTenantFixture, fixturePassword, type TenantFixture } from '@/lib/testing/tenants';
import {
  changePasswordSpec,
  confirmTotpEnrolmentSpec,
  disableTotpSpec,
  regenerateRecoveryCodesSpec,
  startTotpEnrolmentSpec,
} from './account';
import { authenticate, maxFailedLogins } from './login';
import { passwordPolicyProblem } from './password-policy';
import { FailureLimiter } from './rate-limit';
import { getAuthSecret } from './secret';
import { consumeRecoveryCode, currentTotpCode, generateRecoveryCodes, verifyTotpCode } from './totp';

let db: TestDatabase;
let f: TenantFixture;
const ctx = { ip: '203.0.113.7', userAgent: 'test' };

before(async () => {
  db = await startTestDatabase();
  f = await createTenantFixture(db.prisma);
});
after(() => db?.stop());

const actorOf = async (userId: string) => (await loadActor(db.prisma, userId)) as Actor;
const lastAudit = (entityId: string) =>
  db.prisma.auditEvent.findFirst({ where: { entityId }, orderBy: [{ occurredAt: 'desc' }, { id: 'desc' }] });

describe('password login and lockout', () => {
  test('the right password logs in and records when and from where', async () => {
    const r = await authenticate(db.prisma, { email: ' Admin@ALFA.test ', password: fixturePassword, ip: '198.51.100.4' });
    assert.equal(r.ok, true);
    const u = await db.prisma.user.findUniqueOrThrow({ where: { id: f.users.companyA.id } });
    assert.equal(u.lastLoginIp, '198.51.100.4');
    assert.ok(u.lastLoginAt && Date.now() - u.lastLoginAt.getTime() < 10_000);
    assert.equal((await lastAudit(u.id))?.action, 'auth.login');
  });

  test('unknown e-mail and wrong password give the same answer', async () => {
    assert.deepEqual(await authenticate(db.prisma, { email: 'nobody@alfa.test', password: 'x' }), { ok: false, reason: 'invalid' });
    assert.deepEqual(await authenticate(db.prisma, { email: f.users.companyA.email, password: 'wrong' }), { ok: false, reason: 'invalid' });
  });

  test(`${maxFailedLogins} failures in a row lock the account, even against the right password, until the lock expires`, async () => {
    const email = f.users.resellerB.email;
    for (let i = 1; i < maxFailedLogins; i++) {
      assert.equal((await authenticate(db.prisma, { email, password: `wrong-${i}` })).ok, false);
    }
    assert.deepEqual(await authenticate(db.prisma, { email, password: 'wrong-last' }), { ok: false, reason: 'locked' });
    assert.deepEqual(await authenticate(db.prisma, { email, password: fixturePassword }), { ok: false, reason: 'locked' });
    const locked = await db.prisma.user.findUniqueOrThrow({ where: { email } });
    assert.ok(locked.lockedUntil! > new Date(Date.now() + 14 * 60_000));
    assert.equal((await lastAudit(locked.id))?.action, 'auth.locked');
    // the lock runs out
    await db.prisma.user.update({ where: { email }, data: { lockedUntil: new Date(Date.now() - 1000) } });
    assert.equal((await authenticate(db.prisma, { email, password: fixturePassword })).ok, true);
    const after = await db.prisma.user.findUniqueOrThrow({ where: { email } });
    assert.equal(after.failedLoginCount, 0);
    assert.equal(after.lockedUntil, null);
  });

  test('a success resets the failure count', async () => {
    const email = f.users.auditorA.email;
    await authenticate(db.prisma, { email, password: 'wrong' });
    await authenticate(db.prisma, { email, password: 'wrong' });
    assert.equal((await db.prisma.user.findUniqueOrThrow({ where: { email } })).failedLoginCount, 2);
    assert.equal((await authenticate(db.prisma, { email, password: fixturePassword })).ok, true);
    assert.equal((await db.prisma.user.findUniqueOrThrow({ where: { email } })).failedLoginCount, 0);
  });

  test('a disabled user cannot log in', async () => {
    await db.prisma.user.update({ where: { id: f.users.holderB.id }, data: { disabled: true } });
    assert.deepEqual(await authenticate(db.prisma, { email: f.users.holderB.email, password: fixturePassword }), {
      ok: false,
      reason: 'invalid',
    });
  });
});

describe('TOTP', () => {
  test('codes: current step and ±1 step accepted, others and malformed refused', () => {
    const secret = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
    const now = Date.UTC(2026, 0, 1, 12, 0, 0);
    assert.equal(verifyTotpCode(secret, currentTotpCode(secret, now), now), true);
    assert.equal(verifyTotpCode(secret, currentTotpCode(secret, now - 30_000), now), true);
    assert.equal(verifyTotpCode(secret, currentTotpCode(secret, now - 120_000), now), false);
    assert.equal(verifyTotpCode(secret, 'abcdef', now), false);
    assert.equal(verifyTotpCode(secret, '12345', now), false);
  });

  test('enrol (secret, confirm with a code), then login needs the code; recovery codes work once', async () => {
    const actor = await actorOf(f.users.holderA.id);
    const started = await executeAction(startTotpEnrolmentSpec, actor, {}, ctx, db.prisma);
    assert.ok(started.ok);
    const { secret, uri, qrDataUrl } = started.data;
    assert.match(uri, /^otpauth:\/\/totp\//);
    assert.match(qrDataUrl, /^data:image\/png;base64,/);

    // pending: login does not ask for a code yet
    assert.equal((await authenticate(db.prisma, { email: f.users.holderA.email, password: fixturePassword })).ok, true);

    const wrong = await executeAction(confirmTotpEnrolmentSpec, actor, { code: '000000' === currentTotpCode(secret) ? '111111' : '000000' }, ctx, db.prisma);
    assert.equal(wrong.ok, false);
    const confirmed = await executeAction(confirmTotpEnrolmentSpec, actor, { code: currentTotpCode(secret) }, ctx, db.prisma);
    assert.ok(confirmed.ok);
    const codes = confirmed.data.recoveryCodes;
    assert.equal(codes.length, 10);
    assert.equal(new Set(codes).size, 10);

    const email = f.users.holderA.email;
    assert.deepEqual(await authenticate(db.prisma, { email, password: fixturePassword }), { ok: false, reason: 'totp_required' });
    assert.deepEqual(await authenticate(db.prisma, { email, password: 'wrong', code: currentTotpCode(secret) }), { ok: false, reason: 'invalid' });
    const badCode = String((Number(currentTotpCode(secret)) + 500_000) % 1_000_000).padStart(6, '0');
    assert.deepEqual(await authenticate(db.prisma, { email, password: fixturePassword, code: badCode }), { ok: false, reason: 'totp_invalid' });
    // the code that confirmed the enrolment is spent: the next step's code (accepted for clock drift) opens
    assert.deepEqual(await authenticate(db.prisma, { email, password: fixturePassword, code: currentTotpCode(secret) }), { ok: false, reason: 'totp_invalid' });
    assert.equal((await authenticate(db.prisma, { email, password: fixturePassword, code: currentTotpCode(secret, Date.now() + 30_000) })).ok, true);

    const withRecovery = await authenticate(db.prisma, { email, password: fixturePassword, code: codes[3].toUpperCase() });
    assert.ok(withRecovery.ok && withRecovery.usedRecoveryCode);
    assert.deepEqual(await authenticate(db.prisma, { email, password: fixturePassword, code: codes[3] }), { ok: false, reason: 'totp_invalid' });
    assert.equal((await db.prisma.user.findUniqueOrThrow({ where: { email } })).recoveryCodeHashes.length, 9);

    // regenerating replaces every code
    const regenerated = await executeAction(regenerateRecoveryCodesSpec, actor, {}, ctx, db.prisma);
    assert.ok(regenerated.ok);
    assert.deepEqual(await authenticate(db.prisma, { email, password: fixturePassword, code: codes[5] }), { ok: false, reason: 'totp_invalid' });
    assert.equal((await authenticate(db.prisma, { email, password: fixturePassword, code: regenerated.data.recoveryCodes[0] })).ok, true);

    // disabling needs the password
    assert.equal((await executeAction(disableTotpSpec, actor, { currentPassword: 'nope' }, ctx, db.prisma)).ok, false);
    assert.equal((await executeAction(disableTotpSpec, actor, { currentPassword: fixturePassword }, ctx, db.prisma)).ok, true);
    assert.equal((await authenticate(db.prisma, { email, password: fixturePassword })).ok, true);
    const trail = await db.prisma.auditEvent.findMany({ where: { entityId: f.users.holderA.id, action: { startsWith: 'user.' } } });
    assert.deepEqual(
      trail.map((e) => e.action).sort(),
      ['user.recovery_codes_regenerate', 'user.totp_disable', 'user.totp_enable', 'user.totp_enrolment_start'],
    );
    assert.ok(!JSON.stringify(trail.map((e) => [e.before, e.after])).includes(secret), 'the TOTP secret never reaches the trail');
  });

  test('replay: a code already accepted is refused the second time within its window, and so is an older one', async () => {
    const email = f.users.auditorA.email;
    const secret = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
    await db.prisma.user.update({ where: { email }, data: { totpSecret: secret, totpEnabledAt: new Date(), totpLastStep: null } });
    const code = currentTotpCode(secret);
    assert.equal((await authenticate(db.prisma, { email, password: fixturePassword, code }, new FailureLimiter())).ok, true);
    const stored = await db.prisma.user.findUniqueOrThrow({ where: { email } });
    assert.ok(Math.abs(stored.totpLastStep! - Math.floor(Date.now() / 30_000)) <= 1, 'the accepted 30 s step is stored');
    assert.deepEqual(await authenticate(db.prisma, { email, password: fixturePassword, code }, new FailureLimiter()), { ok: false, reason: 'totp_invalid' });
    // the previous step's code is still inside the drift window, but older than the one accepted
    const previous = currentTotpCode(secret, Date.now() - 30_000);
    assert.deepEqual(await authenticate(db.prisma, { email, password: fixturePassword, code: previous }, new FailureLimiter()), { ok: false, reason: 'totp_invalid' });
    const replay = await lastAudit(stored.id);
    assert.equal(replay?.action, 'auth.login_failed');
    assert.equal((replay?.after as { reason?: string }).reason, 'totp_replay');

    // two logins racing with one fresh code: exactly one gets in
    const next = currentTotpCode(secret, Date.now() + 30_000);
    const raced = await Promise.all([1, 2].map(() => authenticate(db.prisma, { email, password: fixturePassword, code: next }, new FailureLimiter())));
    assert.deepEqual(raced.map((r) => r.ok).sort(), [false, true]);
    await db.prisma.user.update({ where: { email }, data: { totpSecret: null, totpEnabledAt: null, totpLastStep: null, failedLoginCount: 0 } });
  });

  test('an admin whose organization requires TOTP cannot turn it off', async () => {
    await db.prisma.organization.update({ where: { id: f.companyA }, data: { requireTotpForAdmins: true } });
    await db.prisma.user.update({
      where: { id: f.users.companyA.id },
      data: { totpSecret: 'JBSWY3DPEHPK3PXP', totpEnabledAt: new Date() },
    });
    const r = await executeAction(disableTotpSpec, await actorOf(f.users.companyA.id), { currentPassword: fixturePassword }, ctx, db.prisma);
    assert.deepEqual(r.ok ? r : r.messageKey, 'profile.totpRequiredByOrg');
    await db.prisma.organization.update({ where: { id: f.companyA }, data: { requireTotpForAdmins: false } });
  });

  test('recovery code helpers: hashed, consumed once, 10 distinct', () => {
    const { codes, hashes } = generateRecoveryCodes();
    assert.equal(hashes.length, 10);
    assert.ok(hashes.every((h) => /^[0-9a-f]{64}$/.test(h)));
    const rest = consumeRecoveryCode(hashes, codes[0].replace(/-/g, ' '));
    assert.equal(rest?.length, 9);
    assert.equal(consumeRecoveryCode(rest!, codes[0]), null);
  });
});

describe('password change', () => {
  test('policy: at least 12 characters, not the e-mail', () => {
    assert.equal(passwordPolicyProblem('short', 'a@b.it'), 'password.tooShort');
    assert.equal(passwordPolicyProblem('mario.rossi@example.it', 'Mario.Rossi@example.it'), 'password.equalsEmail');
    assert.equal(passwordPolicyProblem('mario.rossi.pec', 'mario.rossi.pec@example.it'), 'password.equalsEmail');
    assert.equal(passwordPolicyProblem('una-password-lunga', 'a@b.it'), null);
  });

  test('needs the current password, applies the policy, clears must-change, and is audited without hashes', async () => {
    const actor = await actorOf(f.users.auditorA.id);
    await db.prisma.user.update({ where: { id: actor.userId }, data: { mustChangePassword: true } });
    const wrongCurrent = await executeAction(changePasswordSpec, actor, { currentPassword: 'nope', newPassword: 'abbastanza-lunga-1' }, ctx, db.prisma);
    assert.deepEqual(wrongCurrent.ok ? null : wrongCurrent.messageKey, 'profile.wrongPassword');
    const tooShort = await executeAction(changePasswordSpec, actor, { currentPassword: fixturePassword, newPassword: 'corta' }, ctx, db.prisma);
    assert.deepEqual(tooShort.ok ? null : [tooShort.messageKey, tooShort.fieldErrors], ['password.tooShort', { newPassword: 'password.tooShort' }]);
    const asEmail = await executeAction(changePasswordSpec, actor, { currentPassword: fixturePassword, newPassword: actor.email }, ctx, db.prisma);
    assert.deepEqual(asEmail.ok ? null : asEmail.messageKey, 'password.equalsEmail');

    const ok = await executeAction(changePasswordSpec, actor, { currentPassword: fixturePassword, newPassword: 'Nuova-Password-2026' }, ctx, db.prisma);
    assert.equal(ok.ok, true);
    const u = await db.prisma.user.findUniqueOrThrow({ where: { id: actor.userId } });
    assert.equal(await verifyPassword(u.passwordHash, 'Nuova-Password-2026'), true);
    assert.equal(u.mustChangePassword, false);
    const event = await lastAudit(actor.userId);
    assert.equal(event?.action, 'user.password_change');
    assert.equal(event?.ip, ctx.ip);
    assert.deepEqual((event?.before as { mustChangePassword: boolean }).mustChangePassword, true);
    assert.deepEqual((event?.after as { mustChangePassword: boolean }).mustChangePassword, false);
    assert.ok(!JSON.stringify([event?.before, event?.after]).includes('argon2'), 'no hash in the trail');
  });
});

test('session secret: generated once into the data folder (0600) and reused; AUTH_SECRET wins', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pec-secret-'));
  try {
    const config = loadConfig({ PEC_DATA_DIR: dir });
    const first = getAuthSecret(config);
    assert.ok(first.length >= 40);
    assert.equal(statSync(path.join(dir, 'auth-secret')).mode & 0o777, 0o600);
    assert.equal(getAuthSecret(config), first);
    const fixed = 'x'.repeat(40);
    assert.equal(getAuthSecret(loadConfig({ PEC_DATA_DIR: dir, AUTH_SECRET: fixed })), fixed);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('one IP failing too often is blocked for a while, across accounts and unknown e-mails', async () => {
  const limiter = new FailureLimiter(3, 60_000);
  const ip = '192.0.2.99';
  for (const email of ['nobody1@x.test', 'nobody2@x.test', f.users.companyB.email]) {
    assert.equal((await authenticate(db.prisma, { email, password: 'wrong', ip }, limiter)).ok, false);
  }
  assert.deepEqual(await authenticate(db.prisma, { email: f.users.provider.email, password: fixturePassword, ip }, limiter), {
    ok: false,
    reason: 'locked',
  });
  // another address is unaffected, and the window passes
  assert.equal((await authenticate(db.prisma, { email: f.users.provider.email, password: fixturePassword, ip: '192.0.2.100' }, limiter)).ok, true);
  assert.equal(limiter.blocked(ip, Date.now() + 61_000), false);
});

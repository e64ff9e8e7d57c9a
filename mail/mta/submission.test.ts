import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hashPassword, verifyPassword } from '@/lib/passwords';
import { SubmissionPoint, type MailboxCredentials, type SubmissionDeps } from './submission';

// Only authenticate() is exercised: it uses credentials and verifyPassword, nothing else.
async function point(ttlMs: number) {
  const mailbox: MailboxCredentials = { address: 'alice@pec.alfa.test', passwordHash: await hashPassword('Giusta-123'), status: 'ACTIVE' };
  const verifications = { count: 0 };
  const deps = {
    credentials: async (address: string) => (address === mailbox.address ? mailbox : null),
    verifyPassword: async (stored: string, password: string) => {
      verifications.count++;
      return verifyPassword(stored, password);
    },
    verifiedLoginTtlMs: ttlMs,
  } as unknown as SubmissionDeps;
  return { submission: new SubmissionPoint(deps), mailbox, verifications };
}

test('a successful argon2 verification is remembered briefly; wrong passwords, changed hashes and inactive mailboxes are not', async () => {
  const { submission, mailbox, verifications } = await point(60_000);
  assert.deepEqual(await submission.authenticate('alice@pec.alfa.test', 'Giusta-123', '127.0.0.1'), { ok: true, reason: 'ok' });
  assert.equal((await submission.authenticate('Alice@pec.alfa.test', 'Giusta-123', '127.0.0.1')).ok, true);
  assert.equal(verifications.count, 1, 'second login answered from the cache');

  assert.equal((await submission.authenticate('alice@pec.alfa.test', 'Sbagliata-1', '127.0.0.1')).ok, false);
  assert.equal(verifications.count, 2, 'a wrong password is always checked');

  mailbox.status = 'SUSPENDED';
  assert.deepEqual(await submission.authenticate('alice@pec.alfa.test', 'Giusta-123', '127.0.0.1'), { ok: false, reason: 'mailbox not active' });
  mailbox.status = 'ACTIVE';

  mailbox.passwordHash = await hashPassword('Nuova-456');
  assert.equal((await submission.authenticate('alice@pec.alfa.test', 'Giusta-123', '127.0.0.1')).ok, false, 'old password after a change');
  assert.equal((await submission.authenticate('alice@pec.alfa.test', 'Nuova-456', '127.0.0.1')).ok, true);
});

test('with a zero TTL every login runs argon2', async () => {
  const { submission, verifications } = await point(0);
  for (let i = 0; i < 2; i++) assert.equal((await submission.authenticate('alice@pec.alfa.test', 'Giusta-123', '127.0.0.1')).ok, true);
  assert.equal(verifications.count, 2);
});

/**
 * The holder's own mailbox password change, as an audited action spec (wired in actions.ts, tested
 * in app/testing/holder.test.ts). One password serves the mailbox (SMTP/IMAP: the MTA and Dovecot
 * read `mailboxes.password_hash` on every login) and the holder's portal sign-in, so both hashes are
 * set together. The current password must be given: the mailbox's, or the portal one the holder
 * signed in with (they differ until the first change after an admin reset or the first sign-in).
 */
import { z } from 'zod';
import { ActionError, type ActionSpec } from '@/lib/audit/action';
import { passwordPolicyProblem } from '@/lib/auth/password-policy';
import { getConfig } from '@/lib/config';
import { notifyConfigChanged } from '@/lib/db/config-changes';
import { loadBreachedPasswords, mailboxPasswordProblem } from '@/lib/mailboxes/password-policy';
import { hashPassword, verifyPassword } from '@/lib/passwords';
import { canChangeMailboxPassword } from '@/lib/permissions';
import { getMailboxForActor } from '@/lib/queries/mailboxes';
import type { Mailbox } from '@/prisma/generated/client';

const input = z.object({
  id: z.string().uuid(),
  currentPassword: z.string().min(1),
  newPassword: z.string().min(1).max(200),
});

export function changeOwnMailboxPasswordSpec(
  breachedFile: () => string | undefined = () => getConfig().breachedPasswordsFile,
): ActionSpec<typeof input, Mailbox, { address: string }> {
  return {
    action: 'mailbox.password_change',
    entityType: 'Mailbox',
    input,
    // scoped load: any mailbox but the holder's own is "not found"
    load: ({ actor, input, tx }) => getMailboxForActor(tx, actor, input.id),
    // holders only: admins reset passwords from the mailbox page instead
    authorize: ({ actor, target }) => !!target && actor.role === 'MAILBOX_HOLDER' && canChangeMailboxPassword(actor, target),
    async run({ actor, input, target, tx }) {
      const mailbox = target!;
      const user = await tx.user.findUniqueOrThrow({ where: { id: actor.userId } });
      const knowsCurrent =
        (await verifyPassword(mailbox.passwordHash, input.currentPassword)) ||
        (await verifyPassword(user.passwordHash, input.currentPassword));
      if (!knowsCurrent) throw new ActionError('holder.wrongPassword', { currentPassword: 'holder.wrongPassword' });
      const problem =
        mailboxPasswordProblem(input.newPassword, mailbox.address, loadBreachedPasswords(breachedFile())) ??
        passwordPolicyProblem(input.newPassword, user.email);
      if (problem) throw new ActionError(problem, { newPassword: problem });
      const passwordHash = await hashPassword(input.newPassword);
      await tx.mailbox.update({ where: { id: mailbox.id }, data: { passwordHash } });
      await tx.user.update({ where: { id: user.id }, data: { passwordHash, mustChangePassword: false } });
      // the MTA reads the hash per login; the notice lets any cache of it drop the old one at once
      await notifyConfigChanged(tx, 'mailbox', mailbox.id);
      return {
        result: { address: mailbox.address },
        entityId: mailbox.id,
        organizationId: mailbox.organizationId,
        before: { address: mailbox.address, passwordHash: 'old' },
        after: { address: mailbox.address, passwordHash: 'changed', portalPassword: 'changed' },
      };
    },
  };
}

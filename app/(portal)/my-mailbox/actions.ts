'use server';
/** The holder's own mailbox actions. */
import { getServerSession } from 'next-auth';
import { defineAction } from '@/lib/audit/server';
import { getAuthOptions } from '@/lib/auth/options';
import { refreshSessionFingerprint } from '@/lib/auth/session-cookie';
import { getPrisma } from '@/lib/db';
import { changeOwnMailboxPasswordSpec } from './specs';

const changeAudited = defineAction(changeOwnMailboxPasswordSpec(), {
  success: 'holder.passwordChanged',
  revalidate: ['/my-mailbox'],
});

/** The portal password changes too: other sessions end, this one is re-issued with the new fingerprint. */
export async function changeOwnMailboxPassword(previous: unknown, form?: FormData) {
  const answer = await changeAudited(previous, form);
  if (answer.ok) {
    const session = await getServerSession(getAuthOptions());
    const id = (session?.user as { id?: string } | undefined)?.id;
    const user = id ? await getPrisma().user.findUnique({ where: { id }, select: { passwordHash: true } }) : null;
    if (user) await refreshSessionFingerprint(user.passwordHash);
  }
  return answer;
}

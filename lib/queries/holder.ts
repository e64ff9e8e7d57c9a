/**
 * What a mailbox holder reads about its own mailbox: the mailbox itself (with who manages it, for
 * renewals) and its transmission history. Both go through the permission layer's fragments, so an
 * actor who holds no mailbox gets null / nothing, never someone else's rows.
 */
import type { Prisma, PrismaClient } from '@/lib/db';
import { mailboxWhereForActor, type Actor } from '@/lib/permissions';
import { logScopeForActor } from '@/lib/transmission-log/scope';
import { addMonths, maxSearchMonths, searchTransmissionLog, type LogCursor, type LogPage } from './transmission-log';

type Db = PrismaClient | Prisma.TransactionClient;

/** The holder's mailbox with its domain and managing organizations; null for anyone else. */
export async function getOwnMailbox(db: Db, actor: Actor) {
  if (actor.role !== 'MAILBOX_HOLDER' || !actor.mailboxId) return null;
  return db.mailbox.findFirst({
    where: { AND: [{ id: actor.mailboxId }, mailboxWhereForActor(actor)] },
    include: {
      domain: { select: { name: true, kind: true } },
      organization: {
        select: { id: true, name: true, contactEmail: true, parent: { select: { kind: true, name: true, contactEmail: true } } },
      },
    },
  });
}

export type OwnMailbox = NonNullable<Awaited<ReturnType<typeof getOwnMailbox>>>;

/**
 * Who the holder asks for a renewal: the company the mailbox belongs to when it has a contact
 * address, else the reseller above it (the one that files renewals for its customers).
 */
export function renewalContact(m: OwnMailbox): { name: string; email: string | null } {
  const org = m.organization;
  if (!org.contactEmail && org.parent?.kind === 'RESELLER') return { name: org.parent.name, email: org.parent.contactEmail };
  return { name: org.name, email: org.contactEmail };
}

/**
 * One page of the transmission log rows whose sender or recipient is the holder's address, over
 * the whole retention period (30 months), newest first, keyset-paged like the auditor search.
 */
export async function ownTransmissionHistory(
  db: PrismaClient,
  actor: Actor,
  page: { after?: LogCursor; before?: LogCursor; limit?: number } = {},
  now: Date = new Date(),
): Promise<LogPage> {
  if (actor.role !== 'MAILBOX_HOLDER') return { entries: [] };
  const scope = await logScopeForActor(actor, db);
  // the upper bound a little ahead, so a row written while the page loads is not cut off
  const to = new Date(now.getTime() + 60_000);
  const from = addMonths(now, -maxSearchMonths);
  return searchTransmissionLog({ from, to }, scope, page, db);
}

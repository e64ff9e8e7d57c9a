/**
 * What part of the transmission log an actor may read, from its place in the organization tree:
 *  - the provider (scope 'all'): everything;
 *  - an auditor or admin of a reseller/company: the mail of its subtree, that is every row whose
 *    sender or recipient is on one of the subtree's own domains, or is one of the subtree's
 *    mailboxes living on a domain it does not own (the provider's shared domain);
 *  - a mailbox holder: its own address.
 * Who may open the search at all is lib/permissions' canSearchLogs; this only bounds the rows.
 */
import { getPrisma, type PrismaClient, type UserRole } from '@/lib/db';
import { everything, type LogScope } from '@/lib/queries/transmission-log';

/** The parts of lib/permissions' Actor this needs. */
export interface LogActor {
  role: UserRole;
  /** organizations reachable: 'all' or the ids of the actor's subtree */
  scope: 'all' | readonly string[];
  mailboxId: string | null;
}

const nothing: LogScope = { all: false, domains: [], addresses: [] };

export async function logScopeForActor(actor: LogActor, db: PrismaClient = getPrisma()): Promise<LogScope> {
  if (actor.role === 'MAILBOX_HOLDER') {
    if (!actor.mailboxId) return nothing;
    const mailbox = await db.mailbox.findUnique({ where: { id: actor.mailboxId }, select: { address: true } });
    return mailbox ? { all: false, domains: [], addresses: [mailbox.address] } : nothing;
  }
  if (actor.scope === 'all') return everything;
  const organizations = [...actor.scope];
  if (organizations.length === 0) return nothing;
  const domains = await db.domain.findMany({
    where: { organizationId: { in: organizations } },
    select: { name: true },
    orderBy: { name: 'asc' },
  });
  const mailboxes = await db.mailbox.findMany({
    where: { organizationId: { in: organizations }, domain: { organizationId: { notIn: organizations } } },
    select: { address: true },
    orderBy: { address: 'asc' },
  });
  return { all: false, domains: domains.map((d) => d.name), addresses: mailboxes.map((m) => m.address) };
}

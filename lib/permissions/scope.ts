/**
 * Scope checks and Prisma where-fragments, so lists are filtered in SQL by the same rule the
 * predicates apply to single objects. Spread a fragment into a query's `where`:
 *   db.mailbox.findMany({ where: { AND: [mailboxWhereForActor(actor), search] } })
 */
import type { Prisma } from '@/lib/db';
import { isAdmin, type Actor } from './actor';

/** True when the organization is inside the actor's scope. */
export function inScope(actor: Actor, organizationId: string | null | undefined): boolean {
  if (!organizationId) return false;
  return actor.scope === 'all' || actor.scope.includes(organizationId);
}

// A where-fragment that matches nothing (for actors that may see no row of a table).
const nothing = { id: { in: [] as string[] } };

function organizationIdIn(actor: Actor): { organizationId?: { in: string[] } } {
  return actor.scope === 'all' ? {} : { organizationId: { in: [...actor.scope] } };
}

export function organizationWhereForActor(actor: Actor): Prisma.OrganizationWhereInput {
  if (!isAdmin(actor)) return nothing;
  return actor.scope === 'all' ? {} : { id: { in: [...actor.scope] } };
}

export function userWhereForActor(actor: Actor): Prisma.UserWhereInput {
  if (!isAdmin(actor)) return { id: actor.userId };
  return organizationIdIn(actor);
}

export function domainWhereForActor(actor: Actor): Prisma.DomainWhereInput {
  if (!isAdmin(actor)) return nothing;
  return organizationIdIn(actor);
}

export function mailboxWhereForActor(actor: Actor): Prisma.MailboxWhereInput {
  if (actor.role === 'MAILBOX_HOLDER') return actor.mailboxId ? { id: actor.mailboxId } : nothing;
  if (!isAdmin(actor)) return nothing;
  return organizationIdIn(actor);
}

export function requestWhereForActor(actor: Actor): Prisma.MailboxRequestWhereInput {
  if (!isAdmin(actor)) return nothing;
  return actor.scope === 'all' ? {} : { requesterOrganizationId: { in: [...actor.scope] } };
}

/**
 * Audit events the actor may read: provider admins all; other admins and auditors the events
 * recorded for organizations in their scope; a holder the events about its own mailbox and its own user.
 */
export function auditEventWhereForActor(actor: Actor): Prisma.AuditEventWhereInput {
  if (actor.role === 'MAILBOX_HOLDER') {
    const own: Prisma.AuditEventWhereInput[] = [{ entityType: 'User', entityId: actor.userId }];
    if (actor.mailboxId) own.push({ entityType: 'Mailbox', entityId: actor.mailboxId });
    return { OR: own };
  }
  return organizationIdIn(actor);
}

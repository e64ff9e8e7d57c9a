/**
 * The actor: who is acting, as every permission predicate and scoped query sees it.
 * Resolved once per request from the session (lib/session.ts) or built directly in tests.
 *
 * Scope is the set of organizations whose objects the actor may reach, resolved over the
 * organization tree PROVIDER → RESELLER → COMPANY: a provider user reaches everything ('all'),
 * a reseller user its own organization and its companies, a company user its own organization.
 * A mailbox holder reaches no organization, only its own mailbox (mailboxId).
 */
import type { OrganizationKind, PrismaClient, UserRole } from '@/lib/db';

export interface Actor {
  userId: string;
  email: string;
  role: UserRole;
  organizationId: string;
  organizationKind: OrganizationKind;
  /** MAILBOX_HOLDER: the mailbox held */
  mailboxId: string | null;
  /** organizations reachable: 'all' (provider) or the ids of the actor's subtree */
  scope: 'all' | readonly string[];
  /** reseller setting: may approve its companies' activation requests */
  mayApproveActivations: boolean;
}

export const adminRoles: readonly UserRole[] = ['PROVIDER_ADMIN', 'RESELLER_ADMIN', 'COMPANY_ADMIN'];

export function isAdmin(actor: Pick<Actor, 'role'>): boolean {
  return adminRoles.includes(actor.role);
}

/** Rank used for "below me": a user may manage users of a lower rank in its scope. */
export const roleRank: Record<UserRole, number> = {
  PROVIDER_ADMIN: 50,
  RESELLER_ADMIN: 40,
  COMPANY_ADMIN: 30,
  AUDITOR: 20,
  MAILBOX_HOLDER: 10,
};

/** The organization kind each admin role belongs to; auditors and holders fit any kind. */
export const roleOrganizationKind: Partial<Record<UserRole, OrganizationKind>> = {
  PROVIDER_ADMIN: 'PROVIDER',
  RESELLER_ADMIN: 'RESELLER',
  COMPANY_ADMIN: 'COMPANY',
};

/** Ids of an organization and its descendants (the tree is at most three levels deep). */
export async function organizationSubtree(db: PrismaClient, organizationId: string): Promise<string[]> {
  const rows = await db.$queryRaw<{ id: string }[]>`
    SELECT id::text FROM organizations
     WHERE id = ${organizationId}::uuid
        OR parent_id = ${organizationId}::uuid
        OR parent_id IN (SELECT id FROM organizations WHERE parent_id = ${organizationId}::uuid)`;
  return rows.map((r) => r.id);
}

/**
 * Loads the actor for a user id; undefined when the user does not exist or is disabled (a session
 * of a disabled user stops working at its next request).
 */
export async function loadActor(db: PrismaClient, userId: string): Promise<Actor | undefined> {
  const user = await db.user.findUnique({ where: { id: userId }, include: { organization: true } });
  if (!user || user.disabled || user.organization.disabled) return undefined;
  let scope: Actor['scope'];
  if (user.role === 'MAILBOX_HOLDER') scope = [];
  else if (user.organization.kind === 'PROVIDER') scope = 'all';
  else scope = await organizationSubtree(db, user.organizationId);
  return {
    userId: user.id,
    email: user.email,
    role: user.role,
    organizationId: user.organizationId,
    organizationKind: user.organization.kind,
    mailboxId: user.mailboxId,
    scope,
    mayApproveActivations: user.organization.mayApproveActivations,
  };
}

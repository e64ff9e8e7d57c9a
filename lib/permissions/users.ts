/** Who may see, create and manage portal users, and which roles each role may grant. */
import type { OrganizationKind, UserRole } from '@/lib/db';
import { isAdmin, roleOrganizationKind, roleRank, type Actor } from './actor';
import { inScope } from './scope';

export interface UserRef {
  id: string;
  role: UserRole;
  organizationId: string;
}

const grantable: Record<UserRole, UserRole[]> = {
  PROVIDER_ADMIN: ['PROVIDER_ADMIN', 'RESELLER_ADMIN', 'COMPANY_ADMIN', 'AUDITOR', 'MAILBOX_HOLDER'],
  RESELLER_ADMIN: ['RESELLER_ADMIN', 'COMPANY_ADMIN', 'AUDITOR', 'MAILBOX_HOLDER'],
  COMPANY_ADMIN: ['COMPANY_ADMIN', 'AUDITOR', 'MAILBOX_HOLDER'],
  AUDITOR: [],
  MAILBOX_HOLDER: [],
};

/** Roles the actor may give to a new user (in an organization of the matching kind). */
export function grantableRoles(actor: Actor): UserRole[] {
  return grantable[actor.role];
}

/** Whether a role fits an organization kind (admins belong to an organization of their level). */
export function roleFitsOrganization(role: UserRole, kind: OrganizationKind): boolean {
  const required = roleOrganizationKind[role];
  return required === undefined || required === kind;
}

export function canViewUser(actor: Actor, user: UserRef): boolean {
  if (user.id === actor.userId) return true;
  return isAdmin(actor) && inScope(actor, user.organizationId);
}

export function canCreateUser(
  actor: Actor,
  role: UserRole,
  organization: { id: string; kind: OrganizationKind },
): boolean {
  return (
    isAdmin(actor) &&
    inScope(actor, organization.id) &&
    grantableRoles(actor).includes(role) &&
    roleFitsOrganization(role, organization.kind)
  );
}

/**
 * Resetting a password or disabling: only users below the actor — in an organization below the
 * actor's own, or of a lower role in the same organization. Never oneself.
 */
export function canManageUser(actor: Actor, user: UserRef): boolean {
  if (!isAdmin(actor) || user.id === actor.userId || !inScope(actor, user.organizationId)) return false;
  if (user.organizationId !== actor.organizationId) return true;
  return roleRank[user.role] < roleRank[actor.role];
}

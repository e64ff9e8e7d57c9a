/** Who may see, create and change organizations (one predicate per action). */
import type { OrganizationKind } from '@/lib/db';
import { isAdmin, type Actor } from './actor';
import { inScope } from './scope';

export interface OrganizationRef {
  id: string;
  kind: OrganizationKind;
  parentId: string | null;
}

export function canViewOrganization(actor: Actor, org: OrganizationRef): boolean {
  return isAdmin(actor) && inScope(actor, org.id);
}

/** The kinds of organization the actor may create, and under which parent kind. */
export function creatableOrganizationKinds(actor: Actor): OrganizationKind[] {
  if (actor.role === 'PROVIDER_ADMIN') return ['RESELLER', 'COMPANY'];
  if (actor.role === 'RESELLER_ADMIN') return ['COMPANY'];
  return [];
}

/**
 * Provider admins create resellers under the provider and companies under the provider or a
 * reseller; reseller admins create companies under their own reseller.
 */
export function canCreateOrganization(actor: Actor, kind: OrganizationKind, parent: OrganizationRef): boolean {
  if (!inScope(actor, parent.id)) return false;
  if (actor.role === 'PROVIDER_ADMIN') {
    if (kind === 'RESELLER') return parent.kind === 'PROVIDER';
    if (kind === 'COMPANY') return parent.kind === 'PROVIDER' || parent.kind === 'RESELLER';
    return false;
  }
  if (actor.role === 'RESELLER_ADMIN') return kind === 'COMPANY' && parent.id === actor.organizationId;
  return false;
}

/** Editing settings or disabling: only organizations below the actor's own (the provider edits its own too). */
export function canEditOrganization(actor: Actor, org: OrganizationRef): boolean {
  if (actor.role === 'PROVIDER_ADMIN') return true;
  if (actor.role === 'RESELLER_ADMIN') return org.parentId === actor.organizationId && inScope(actor, org.id);
  return false;
}

/** Granting a reseller the right to approve activations is the provider's decision. */
export function canGrantActivationApproval(actor: Actor, org: OrganizationRef): boolean {
  return actor.role === 'PROVIDER_ADMIN' && org.kind === 'RESELLER';
}

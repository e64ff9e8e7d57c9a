/** Who may see and manage mail domains. */
import type { DomainKind } from '@/lib/db';
import { isAdmin, type Actor } from './actor';
import { inScope } from './scope';

export interface DomainRef {
  id: string;
  kind: DomainKind;
  organizationId: string;
}

export function canViewDomain(actor: Actor, domain: DomainRef): boolean {
  return isAdmin(actor) && inScope(actor, domain.organizationId);
}

/** Adding a domain for an organization: company domains by admins of its scope. */
export function canAddDomain(actor: Actor, organizationId: string, kind: DomainKind): boolean {
  if (kind === 'PROVIDER_SHARED') return actor.role === 'PROVIDER_ADMIN';
  return isAdmin(actor) && inScope(actor, organizationId);
}

/** Verify, change limits, remove: provider-shared domains belong to the provider alone. */
export function canManageDomain(actor: Actor, domain: DomainRef): boolean {
  if (domain.kind === 'PROVIDER_SHARED') return actor.role === 'PROVIDER_ADMIN';
  return isAdmin(actor) && inScope(actor, domain.organizationId);
}

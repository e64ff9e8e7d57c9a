/** Activation and renewal requests (modulo di attivazione / rinnovo). */
import { isAdmin, type Actor } from './actor';
import { inScope } from './scope';

export interface RequestRef {
  id: string;
  requesterOrganizationId: string;
}

export function canViewRequest(actor: Actor, request: RequestRef): boolean {
  return isAdmin(actor) && inScope(actor, request.requesterOrganizationId);
}

/** Entering a request for a customer organization in scope. */
export function canSubmitRequest(actor: Actor, organizationId: string): boolean {
  return isAdmin(actor) && inScope(actor, organizationId);
}

/**
 * Approving or rejecting: the provider always; a reseller granted mayApproveActivations for its
 * companies' requests (not its own).
 */
export function canDecideRequest(actor: Actor, request: RequestRef): boolean {
  if (actor.role === 'PROVIDER_ADMIN') return true;
  return (
    actor.role === 'RESELLER_ADMIN' &&
    actor.mayApproveActivations &&
    request.requesterOrganizationId !== actor.organizationId &&
    inScope(actor, request.requesterOrganizationId)
  );
}

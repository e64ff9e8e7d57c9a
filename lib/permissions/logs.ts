/** Transmission-log search (auditors) and the admin audit trail. */
import type { Actor } from './actor';

/** Log search: auditors within their scope, and the provider admin. */
export function canSearchLogs(actor: Actor): boolean {
  return actor.role === 'AUDITOR' || actor.role === 'PROVIDER_ADMIN';
}

/**
 * The audit trail, always filtered by auditEventWhereForActor: the provider admin searches all of it,
 * an auditor its scope, a holder reads the events on its own mailbox and user.
 */
export function canViewAuditTrail(actor: Actor): boolean {
  return actor.role === 'PROVIDER_ADMIN' || actor.role === 'AUDITOR' || actor.role === 'MAILBOX_HOLDER';
}

export function canSearchAuditTrailByActor(actor: Actor): boolean {
  return actor.role === 'PROVIDER_ADMIN';
}

/** The MTA's operational state (queue, today's traffic, overdue receipts, certificate expiry). */
import type { Actor } from './actor';

/** Provider-wide figures about every customer's traffic: the provider admin only. */
export function canViewMtaState(actor: Pick<Actor, 'role'>): boolean {
  return actor.role === 'PROVIDER_ADMIN';
}

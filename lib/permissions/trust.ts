/** Trusted-provider index and our signing certificates: what every MTA of the provider trusts and signs with. */
import type { Actor } from './actor';

/** Provider-wide PEC trust: the provider admin only (resellers, companies, auditors, holders never). */
export function canManageTrust(actor: Pick<Actor, 'role'>): boolean {
  return actor.role === 'PROVIDER_ADMIN';
}

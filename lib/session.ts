/**
 * The current user, for server components, route handlers and server actions:
 *   const actor = await requireActor();          // redirects to /login when signed out
 * The actor then goes to lib/permissions predicates and lib/queries scoped helpers.
 *
 * Account set-up comes first: a user who must change the initial password, or an admin whose
 * organization requires TOTP and who has not enrolled, is sent to /profile until done.
 */
import { getServerSession } from 'next-auth';
import { headers } from 'next/headers';
import { redirect } from 'next/navigation';
import { cache } from 'react';
import { getAuthOptions, passwordFingerprint } from '@/lib/auth/options';
import { getPrisma } from '@/lib/db';
import { clientIpFromHeaders } from '@/lib/audit/record';
import { isAdmin, loadActor, type Actor } from '@/lib/permissions';

export type SetupStep = 'password' | 'totp';

export interface CurrentUser {
  actor: Actor;
  displayName: string;
  /** what the user must do before using anything else */
  setupRequired: SetupStep[];
  totpEnabled: boolean;
  organizationName: string;
}

/** Once per request (React cache): the signed-in user, or undefined. */
export const getCurrentUser = cache(async (): Promise<CurrentUser | undefined> => {
  const session = await getServerSession(getAuthOptions());
  const claims = session?.user as { id?: string; pwv?: string } | undefined;
  const userId = claims?.id;
  if (!userId) return undefined;
  const db = getPrisma();
  const actor = await loadActor(db, userId);
  if (!actor) return undefined;
  const user = await db.user.findUniqueOrThrow({ where: { id: userId }, include: { organization: true } });
  // a session from before the last password change or reset is over
  if (claims.pwv !== passwordFingerprint(user.passwordHash)) return undefined;
  const setupRequired: SetupStep[] = [];
  if (user.mustChangePassword) setupRequired.push('password');
  if (isAdmin(actor) && user.organization.requireTotpForAdmins && !user.totpEnabledAt) setupRequired.push('totp');
  return {
    actor,
    displayName: user.displayName ?? user.email,
    setupRequired,
    totpEnabled: user.totpEnabledAt !== null,
    organizationName: user.organization.name,
  };
});

/**
 * The actor, or a redirect: to /login when signed out, to /profile while account set-up is
 * pending (unless the caller is part of that set-up: `{ duringSetup: true }`).
 */
export async function requireUser(options: { duringSetup?: boolean } = {}): Promise<CurrentUser> {
  const current = await getCurrentUser();
  if (!current) redirect('/login');
  if (current.setupRequired.length > 0 && !options.duringSetup) redirect('/profile');
  return current;
}

export async function requireActor(options: { duringSetup?: boolean } = {}): Promise<Actor> {
  return (await requireUser(options)).actor;
}

/** Client IP and user agent of the current request, for the audit trail. */
export async function requestContext(): Promise<{ ip: string | null; userAgent: string | null }> {
  const h = await headers();
  return { ip: clientIpFromHeaders(h), userAgent: h.get('user-agent') };
}

/**
 * GET /providers/export: our own provider-index record as LDIF (name, service address, verified
 * domains, published signing certificates), to send to the index. Provider admin only; recorded in
 * the audit trail. `npm run index:export -- --p7m` also signs it.
 */
import { recordAuditEvent } from '@/lib/audit/record';
import { getConfig } from '@/lib/config';
import { getPrisma } from '@/lib/db';
import { exportOwnProviderLdif } from '@/lib/ops/provider-index-store';
import { canManageTrust } from '@/lib/permissions';
import { requestContext, requireActor } from '@/lib/session';

export const dynamic = 'force-dynamic';

export async function GET(): Promise<Response> {
  const actor = await requireActor();
  if (!canManageTrust(actor)) return new Response('Not found', { status: 404 });
  const db = getPrisma();
  const config = getConfig();
  let ldif: string;
  try {
    ldif = await exportOwnProviderLdif(db, config);
  } catch (err) {
    // no signing certificate stored yet: nothing to publish
    return new Response((err as Error).message, { status: 409, headers: { 'Content-Type': 'text/plain; charset=utf-8' } });
  }
  await recordAuditEvent(
    db,
    { actorUserId: actor.userId, actorEmail: actor.email, actorRole: actor.role, ...(await requestContext()) },
    { action: 'trusted_provider.export_own', entityType: 'TrustedProvider', after: { bytes: ldif.length }, organizationId: actor.organizationId },
  );
  return new Response(ldif, {
    headers: {
      'Content-Type': 'text/plain; charset=utf-8',
      'Content-Disposition': `attachment; filename="${config.provider.mailDomain}.ldif"`,
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
    },
  });
}

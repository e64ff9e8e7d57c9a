/**
 * GET /log/export?<the search's parameters>: the whole result of a log search as CSV, streamed
 * page by page from the database (a million rows never sit in memory). Same permission, scope
 * and validation as the search page; the export is written to the audit trail before it starts.
 */
import { recordAuditEvent } from '@/lib/audit/record';
import { getPrisma } from '@/lib/db';
import { getLocale } from '@/lib/i18n/server';
import { canSearchLogs } from '@/lib/permissions';
import { createLogCsvStream } from '@/lib/transmission-log/csv-export';
import { logScopeForActor } from '@/lib/transmission-log/scope';
import { auditedSearch, parseLogSearch, romeDay } from '@/lib/transmission-log/search-params';
import { requestContext, requireActor } from '@/lib/session';

export const dynamic = 'force-dynamic';

export async function GET(request: Request): Promise<Response> {
  const actor = await requireActor();
  if (!canSearchLogs(actor)) return new Response('Not found', { status: 404 });
  const parsed = parseLogSearch(new URL(request.url).searchParams);
  if (!parsed.filters) {
    return Response.json({ errors: parsed.errors }, { status: 400 });
  }
  const db = getPrisma();
  const scope = await logScopeForActor(actor, db);
  await recordAuditEvent(
    db,
    { actorUserId: actor.userId, actorEmail: actor.email, actorRole: actor.role, ...(await requestContext()) },
    { action: 'log.export', entityType: 'TransmissionLog', after: auditedSearch(parsed.values), organizationId: actor.organizationId },
  );
  const stream = createLogCsvStream(parsed.filters, scope, { language: await getLocale() }, db);
  const name = `log-pec_${parsed.values.from}_${parsed.values.to}_${romeDay(new Date())}.csv`;
  return new Response(stream, {
    headers: {
      'Content-Type': 'text/csv; charset=utf-8',
      'Content-Disposition': `attachment; filename="${name}"`,
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
    },
  });
}

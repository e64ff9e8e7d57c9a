/** GET /requests/<id>/modulo — the filled modulo as PDF, for requests in the actor's scope (else 404). */
import { getConfig } from '@/lib/config';
import { getPrisma } from '@/lib/db';
import { buildRequestFormPdf } from '@/lib/pdf/request-form';
import { canViewRequest } from '@/lib/permissions';
import { getRequestForActor } from '@/lib/queries/requests';
import { requestFormDocument } from '@/lib/requests/form-document';
import { requestNumber } from '@/lib/requests/messages';
import { getCurrentUser } from '@/lib/session';

export const dynamic = 'force-dynamic';

export async function GET(_request: Request, { params }: { params: Promise<{ id: string }> }) {
  const current = await getCurrentUser();
  if (!current || current.setupRequired.length > 0) return new Response('Not found', { status: 404 });
  const { id } = await params;
  const request = await getRequestForActor(getPrisma(), current.actor, id);
  if (!request || !canViewRequest(current.actor, request)) return new Response('Not found', { status: 404 });
  const pdf = await buildRequestFormPdf(requestFormDocument(request, getConfig().provider.name));
  const name = `${request.kind === 'ACTIVATION' ? 'modulo-attivazione' : 'modulo-rinnovo'}-${requestNumber(request.id)}.pdf`;
  return new Response(Buffer.from(pdf), {
    headers: { 'content-type': 'application/pdf', 'content-disposition': `attachment; filename="${name}"`, 'cache-control': 'private, no-store' },
  });
}

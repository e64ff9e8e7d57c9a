/** GET /attivazione/<id>/modulo?t=<token> — the filled modulo of a public request (404 without the right token). */
import type { NextRequest } from 'next/server';
import { getConfig } from '@/lib/config';
import { getPrisma } from '@/lib/db';
import { buildRequestFormPdf } from '@/lib/pdf/request-form';
import { requestFormDocument } from '@/lib/requests/form-document';
import { requestNumber } from '@/lib/requests/messages';
import { findPublicRequest } from '@/lib/requests/public';

export const dynamic = 'force-dynamic';

export async function GET(request: NextRequest, { params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const found = await findPublicRequest(getPrisma(), id, request.nextUrl.searchParams.get('t') ?? undefined);
  if (!found) return new Response('Not found', { status: 404 });
  const pdf = await buildRequestFormPdf(requestFormDocument(found, getConfig().provider.name));
  return new Response(Buffer.from(pdf), {
    headers: {
      'content-type': 'application/pdf',
      'content-disposition': `attachment; filename="modulo-attivazione-${requestNumber(found.id)}.pdf"`,
      'cache-control': 'private, no-store',
    },
  });
}

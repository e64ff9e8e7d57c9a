/** POST /attivazione/<id>/scan?t=<token> (multipart `scan`): the signed modulo of a public request. */
import { NextResponse, type NextRequest } from 'next/server';
import { clientIpFromHeaders } from '@/lib/audit/record';
import { getConfig } from '@/lib/config';
import { getPrisma } from '@/lib/db';
import { attachPublicScan, findPublicRequest } from '@/lib/requests/public';
import { publicSubmissionLimiter } from '@/lib/requests/rate-limit';
import { sameOrigin } from '@/lib/requests/same-origin';
import { maxScanBytes, ScanError, storeSignedScan } from '@/lib/requests/signed-scan';

export async function POST(request: NextRequest, { params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const token = request.nextUrl.searchParams.get('t') ?? '';
  const back = (scan: string) =>
    NextResponse.redirect(new URL(`/attivazione/${id}?t=${encodeURIComponent(token)}&scan=${encodeURIComponent(scan)}`, request.url), 303);
  if (!sameOrigin(request.headers)) return new NextResponse('Forbidden', { status: 403 });
  const ip = clientIpFromHeaders(request.headers);
  if (!publicSubmissionLimiter.allow(`scan:${ip ?? 'local'}`)) return new NextResponse('Too many requests', { status: 429 });
  const db = getPrisma();
  if (!(await findPublicRequest(db, id, token))) return new NextResponse('Not found', { status: 404 });
  if (Number(request.headers.get('content-length') ?? 0) > maxScanBytes + 64 * 1024) return back('requests.errors.scanTooLarge');
  const file = (await request.formData()).get('scan');
  if (!(file instanceof File)) return back('requests.errors.scanEmpty');
  try {
    const stored = await storeSignedScan(getConfig().dataDir, new Uint8Array(await file.arrayBuffer()), file.name);
    const ok = await attachPublicScan(db, id, token, stored, { ip, userAgent: request.headers.get('user-agent') });
    return back(ok ? 'ok' : 'requests.errors.state');
  } catch (err) {
    if (err instanceof ScanError) return back(err.messageKey);
    throw err;
  }
}

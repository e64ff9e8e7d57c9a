/**
 * POST /requests/<id>/scan (multipart, field `scan`): the signed modulo. A route handler rather than a
 * server action so a 10 MB scan is not cut by the action body limit; same-origin is checked by hand
 * (server actions do it themselves). Answers with a redirect back to the request page.
 */
import { NextResponse, type NextRequest } from 'next/server';
import { executeAction } from '@/lib/audit/action';
import { clientIpFromHeaders } from '@/lib/audit/record';
import { getConfig } from '@/lib/config';
import { getPrisma } from '@/lib/db';
import { attachScanSpec } from '@/lib/requests/specs';
import { sameOrigin } from '@/lib/requests/same-origin';
import { maxScanBytes, ScanError, storeSignedScan } from '@/lib/requests/signed-scan';
import { getCurrentUser } from '@/lib/session';

export async function POST(request: NextRequest, { params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const back = (query: string) => NextResponse.redirect(new URL(`/requests/${id}?${query}`, request.url), 303);
  if (!sameOrigin(request.headers)) return new NextResponse('Forbidden', { status: 403 });
  const current = await getCurrentUser();
  if (!current || current.setupRequired.length > 0) return new NextResponse('Not found', { status: 404 });
  if (Number(request.headers.get('content-length') ?? 0) > maxScanBytes + 64 * 1024) return back('scan=requests.errors.scanTooLarge');
  const file = (await request.formData()).get('scan');
  if (!(file instanceof File)) return back('scan=requests.errors.scanEmpty');
  try {
    const stored = await storeSignedScan(getConfig().dataDir, new Uint8Array(await file.arrayBuffer()), file.name);
    const result = await executeAction(
      attachScanSpec,
      current.actor,
      { id, relativePath: stored.relativePath, sha256: stored.sha256, name: stored.name },
      { ip: clientIpFromHeaders(request.headers), userAgent: request.headers.get('user-agent') },
      getPrisma(),
    );
    if (!result.ok && result.error === 'not_found') return new NextResponse('Not found', { status: 404 });
    return back(result.ok ? 'scan=ok' : `scan=${result.messageKey}`);
  } catch (err) {
    if (err instanceof ScanError) return back(`scan=${err.messageKey}`);
    throw err;
  }
}

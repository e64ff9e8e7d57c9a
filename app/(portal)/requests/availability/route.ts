/**
 * GET /requests/availability?localPart=&domainId=&organizationId= — live check while typing.
 * Signed-in admins may ask about their customers' own domains; anyone else (the public form) only
 * about provider-shared domains. Rate-limited per client address.
 */
import { NextResponse, type NextRequest } from 'next/server';
import { clientIpFromHeaders } from '@/lib/audit/record';
import { getPrisma } from '@/lib/db';
import { canSubmitRequest } from '@/lib/permissions';
import { checkAddressAvailability } from '@/lib/requests/availability';
import { availabilityLimiter } from '@/lib/requests/rate-limit';
import { getCurrentUser } from '@/lib/session';

export const dynamic = 'force-dynamic';

export async function GET(request: NextRequest) {
  if (!availabilityLimiter.allow(clientIpFromHeaders(request.headers) ?? 'local')) {
    return NextResponse.json({ error: 'rate_limited' }, { status: 429 });
  }
  const p = request.nextUrl.searchParams;
  const localPart = p.get('localPart') ?? '';
  const domainId = p.get('domainId') ?? '';
  const wanted = p.get('organizationId');
  const current = await getCurrentUser();
  // an organization outside the actor's reach is treated as no organization (shared domains only)
  const organizationId = wanted && current && canSubmitRequest(current.actor, wanted) ? wanted : null;
  if (!/^[0-9a-f-]{36}$/i.test(domainId)) return NextResponse.json({ availability: 'domain_unavailable' });
  const result = await checkAddressAvailability(getPrisma(), { localPart, domainId, organizationId });
  return NextResponse.json(result, { headers: { 'cache-control': 'no-store' } });
}

/**
 * GET /api/metrics: the MTA's state in Prometheus text format (queue, today's figures, overdue
 * receipts, signing certificate expiry). Loopback scrapers, or a bearer METRICS_TOKEN; 404 to
 * anyone else, so the endpoint's existence is not advertised.
 */
import { getConfig } from '@/lib/config';
import { getPrisma } from '@/lib/db/client';
import { metricsAccess, mtaStateMetrics, prometheusContentType, readMtaState } from '@/lib/metrics';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

export async function GET(request: Request): Promise<Response> {
  const config = getConfig();
  if (metricsAccess(request.headers, config.metricsToken) === 'denied') {
    return new Response('Not Found\n', { status: 404, headers: { 'Cache-Control': 'no-store' } });
  }
  const state = await readMtaState(getPrisma(), { timeZone: config.provider.timeZone, spoolDir: config.spoolDir });
  return new Response(mtaStateMetrics(state).toString(), {
    headers: { 'Content-Type': prometheusContentType, 'Cache-Control': 'no-store' },
  });
}

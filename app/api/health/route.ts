/**
 * GET /api/health: liveness of the whole provider for load balancers and `npm start` checks.
 * 200 when the database answers and the MTA reception point greets; 503 (same JSON) otherwise.
 */
import { getConfig } from '@/lib/config';
import { getPrisma } from '@/lib/db/client';
import { buildHealthReport } from '@/lib/health';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

export async function GET(): Promise<Response> {
  const config = getConfig();
  const report = await buildHealthReport({
    pingDatabase: () => getPrisma().$queryRaw`SELECT 1`,
    mtaInbound: { host: config.mta.host, port: config.mta.inboundPort },
  });
  return Response.json(report, {
    status: report.status === 'ok' ? 200 : 503,
    headers: { 'Cache-Control': 'no-store' },
  });
}

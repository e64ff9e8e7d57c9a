/**
 * GET /mailboxes/export?q=&status=: the filtered mailbox list as CSV, streamed in keyset batches
 * (same scope and filters as the list page; same columns as the import).
 */
import { Readable } from 'node:stream';
import { getPrisma, type MailboxStatus } from '@/lib/db';
import { mailboxCsvStream } from '@/lib/mailboxes/csv-export';
import { isAdmin } from '@/lib/permissions';
import { iterateMailboxesForExport } from '@/lib/queries/mailboxes';
import { requireActor } from '@/lib/session';

export const dynamic = 'force-dynamic';

const statuses: MailboxStatus[] = ['ACTIVE', 'SUSPENDED', 'EXPIRED', 'CEASED'];

export async function GET(request: Request): Promise<Response> {
  const actor = await requireActor();
  if (!isAdmin(actor)) return new Response('Not found', { status: 404 });
  const params = new URL(request.url).searchParams;
  const status = statuses.find((s) => s === params.get('status'));
  const rows = iterateMailboxesForExport(getPrisma(), actor, { q: params.get('q') ?? undefined, status });
  const body = Readable.toWeb(mailboxCsvStream(rows)) as ReadableStream<Uint8Array>;
  return new Response(body, {
    headers: {
      'Content-Type': 'text/csv; charset=utf-8',
      'Content-Disposition': `attachment; filename="caselle-pec_${new Date().toISOString().slice(0, 10)}.csv"`,
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
    },
  });
}

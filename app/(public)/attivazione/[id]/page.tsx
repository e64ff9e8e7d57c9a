/** After a public submission: the request number, the PDF to download and the signed-scan upload (token link). */
import { notFound } from 'next/navigation';
import { getPrisma } from '@/lib/db';
import { getTranslator } from '@/lib/i18n/server';
import { requestNumber } from '@/lib/requests/messages';
import { findPublicRequest } from '@/lib/requests/public';
import { Badge, Card, PageHeader } from '@/app/components/ui';
import { StatusBadge } from '@/app/(portal)/requests/status-badge';

export const dynamic = 'force-dynamic';

export default async function PublicRequestPage({ params, searchParams }: { params: Promise<{ id: string }>; searchParams: Promise<Record<string, string | undefined>> }) {
  const { id } = await params;
  const query = await searchParams;
  const request = await findPublicRequest(getPrisma(), id, query.t);
  if (!request) notFound();
  const { t } = await getTranslator();
  const token = encodeURIComponent(query.t ?? '');
  const scanMessage = query.scan ? (query.scan === 'ok' ? t('requests.scanUploaded') : t(query.scan)) : null;
  return (
    <>
      <PageHeader title={t('requests.public.sentTitle')} subtitle={request.requestedAddress ?? ''} />
      <Card>
        <div className="space-y-4 text-sm text-slate-700">
          <p className="flex items-center gap-2">
            <StatusBadge status={request.status} label={t(`requests.statuses.${request.status}`)} />
          </p>
          <p>{t('requests.public.sentText', { number: requestNumber(request.id) })}</p>
          <p className="text-xs text-slate-500">{t('requests.public.keepLink')}</p>
          <a href={`/attivazione/${request.id}/modulo?t=${token}`} className="inline-flex rounded-md bg-blue-700 px-4 py-2 font-medium text-white hover:bg-blue-800" data-testid="download-pdf">
            ⤓ {t('requests.downloadPdf')}
          </a>
          <div>
            {request.signedScanName ? <Badge tone="green">{t('requests.scanPresent', { name: request.signedScanName })}</Badge> : <span className="text-slate-500">{t('requests.scanMissing')}</span>}
          </div>
          {scanMessage ? <p className={query.scan === 'ok' ? 'text-emerald-700' : 'text-red-600'} role="status">{scanMessage}</p> : null}
          {request.status === 'SUBMITTED' ? (
            <form method="post" action={`/attivazione/${request.id}/scan?t=${token}`} encType="multipart/form-data" className="space-y-2">
              <label htmlFor="scan" className="block font-medium">{t('requests.fields.scan')}</label>
              <input id="scan" name="scan" type="file" accept="application/pdf,image/jpeg,image/png" required className="block w-full text-sm file:mr-3 file:rounded-md file:border-0 file:bg-slate-100 file:px-3 file:py-2" />
              <button type="submit" className="rounded-md bg-slate-800 px-4 py-2 font-medium text-white hover:bg-slate-900">{t('requests.uploadScan')}</button>
            </form>
          ) : null}
        </div>
      </Card>
    </>
  );
}

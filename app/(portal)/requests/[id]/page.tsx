/**
 * One request: the data as filed, the PDF to download, the signed-scan upload, and the decision
 * (approve → provisions and shows the initial password once; reject with a reason). Out of scope → 404.
 */
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { getPrisma } from '@/lib/db';
import { formatDate, formatDateTime } from '@/lib/i18n';
import { getTranslator } from '@/lib/i18n/server';
import { canDecideRequest, canSubmitRequest, canViewRequest } from '@/lib/permissions';
import { getRequestForActor } from '@/lib/queries/requests';
import { requestNumber } from '@/lib/requests/messages';
import { findPlan } from '@/lib/requests/plans';
import { requireActor } from '@/lib/session';
import { ActionForm, Field } from '@/app/components/action-form';
import { Badge, Card, PageHeader } from '@/app/components/ui';
import { approveRequest, cancelRequest, rejectRequest } from '../actions';
import { StatusBadge } from '../status-badge';

export const dynamic = 'force-dynamic';

type Form = Record<string, string | boolean | undefined>;

export default async function RequestPage({
  params,
  searchParams,
}: {
  params: Promise<{ id: string }>;
  searchParams: Promise<Record<string, string | undefined>>;
}) {
  const actor = await requireActor();
  const { id } = await params;
  const query = await searchParams;
  const request = await getRequestForActor(getPrisma(), actor, id);
  if (!request || !canViewRequest(actor, request)) notFound();
  const { locale, t } = await getTranslator();
  const f = request.formData as Form;
  const s = (k: string) => (typeof f[k] === 'string' && f[k] ? (f[k] as string) : '—');
  const open = request.status === 'SUBMITTED' || request.status === 'DRAFT';
  const mayDecide = request.status === 'SUBMITTED' && canDecideRequest(actor, request);
  const mayFile = open && canSubmitRequest(actor, request.requesterOrganizationId);
  const number = requestNumber(request.id);
  const scanMessage = query.scan ? (query.scan === 'ok' ? t('requests.scanUploaded') : t(query.scan)) : null;

  const rows: [string, string][] =
    request.kind === 'ACTIVATION'
      ? [
          [
            t('requests.fields.holderKind'),
            f.holderKind ? t(`requests.holderKinds.${String(f.holderKind)}`) : '—',
          ],
          [t('requests.fields.holderName'), s('holderName')],
          [t('requests.fields.vatNumber'), s('vatNumber')],
          [t('requests.fields.fiscalCode'), s('fiscalCode')],
          [t('requests.fields.address'), s('address')],
          [t('requests.fields.legalRepName'), s('legalRepName')],
          [t('requests.fields.legalRepFiscalCode'), s('legalRepFiscalCode')],
          [t('requests.fields.contactEmail'), s('contactEmail')],
          [t('requests.fields.phone'), s('phone')],
        ]
      : [
          [t('requests.fields.holderName'), s('holderName')],
          [t('requests.fields.contactEmail'), s('contactEmail')],
          [
            t('requests.currentExpiry'),
            typeof f.currentExpiry === 'string' ? formatDate(locale, new Date(f.currentExpiry)) : '—',
          ],
        ];

  return (
    <>
      <PageHeader
        title={t('requests.detailTitle', { number })}
        subtitle={`${t(`requests.kinds.${request.kind}`)} · ${request.requesterOrganization.name}`}
        actions={
          <Link href="/requests" className="text-sm text-blue-800 hover:underline">
            ← {t('requests.back')}
          </Link>
        }
      />
      {query.created ? (
        <div
          role="status"
          className="mb-4 rounded-md border border-emerald-200 bg-emerald-50 p-3 text-sm text-emerald-900"
        >
          {t('requests.created')} — {t('requests.pdfHint')}
        </div>
      ) : null}
      {/* after an approval in this page, what only applies to an open request hides (no re-render, see actions.ts) */}
      <div className="grid gap-6 lg:grid-cols-3 [&:has([data-testid=approve-request]_[role=status])_[data-open-only]]:hidden [&:has([data-testid=approve-request]_[role=status])_[data-approved-only]]:inline">
        <Card title={t('common.details')} className="lg:col-span-2">
          <div className="mb-4 flex flex-wrap items-center gap-3">
            <span data-open-only={open ? '' : undefined}>
              <StatusBadge status={request.status} label={t(`requests.statuses.${request.status}`)} />
            </span>
            <span data-approved-only className="hidden">
              <StatusBadge status="PROVISIONED" label={t('requests.statuses.PROVISIONED')} />
            </span>
            <span className="text-lg font-semibold text-slate-900 break-all" data-testid="request-address">
              {request.requestedAddress}
            </span>
          </div>
          <dl className="grid gap-x-6 gap-y-3 text-sm sm:grid-cols-2">
            {rows.map(([label, value]) => (
              <div key={label}>
                <dt className="text-slate-500">{label}</dt>
                <dd className="break-words text-slate-900">{value}</dd>
              </div>
            ))}
            <div>
              <dt className="text-slate-500">{t('requests.plan')}</dt>
              <dd>{findPlan(request.plan)?.name ?? request.plan}</dd>
            </div>
            <div>
              <dt className="text-slate-500">{t('requests.duration')}</dt>
              <dd>
                {request.durationYears === 1
                  ? t('requests.year')
                  : t('requests.years', { count: request.durationYears })}{' '}
                · {t(`requests.renewalModes.${f.renewalMode === 'AUTOMATIC' ? 'AUTOMATIC' : 'MANUAL'}`)}
              </dd>
            </div>
            <div>
              <dt className="text-slate-500">{t('requests.submittedAt')}</dt>
              <dd>{formatDateTime(locale, request.submittedAt ?? request.createdAt)}</dd>
            </div>
          </dl>
          {request.decidedAt ? (
            <div
              className="mt-5 border-t border-slate-100 pt-4 text-sm text-slate-700"
              data-testid="decision"
            >
              <p>
                {t('requests.decidedBy', {
                  who: request.decidedBy?.email ?? '—',
                  date: formatDateTime(locale, request.decidedAt),
                })}
              </p>
              {request.decisionReason ? (
                <p className="mt-1 font-medium text-red-800">
                  {t('requests.rejectionReason', { reason: request.decisionReason })}
                </p>
              ) : null}
              {request.mailbox ? (
                <p className="mt-1">
                  {t('requests.provisionedMailbox')}:{' '}
                  <span className="font-medium">{request.mailbox.address}</span> ·{' '}
                  {t('requests.currentExpiry')}: {formatDate(locale, request.mailbox.expiresAt)}
                </p>
              ) : null}
            </div>
          ) : null}
        </Card>

        <div className="space-y-6">
          <Card title={t('requests.downloadPdf')}>
            <p className="mb-3 text-sm text-slate-600">{t('requests.pdfHint')}</p>
            <a
              href={`/requests/${request.id}/modulo`}
              className="inline-flex items-center rounded-md border border-slate-300 bg-white px-4 py-2 text-sm font-medium text-slate-800 shadow-sm hover:bg-slate-50"
              data-testid="download-pdf"
            >
              ⤓ {t('requests.downloadPdf')}
            </a>
            <p className="mt-4 text-sm" data-testid="scan-state">
              {request.signedScanName ? (
                <Badge tone="green">{t('requests.scanPresent', { name: request.signedScanName })}</Badge>
              ) : (
                <span className="text-slate-500">{t('requests.scanMissing')}</span>
              )}
            </p>
            {scanMessage ? (
              <p
                className={`mt-2 text-sm ${query.scan === 'ok' ? 'text-emerald-700' : 'text-red-600'}`}
                role="status"
              >
                {scanMessage}
              </p>
            ) : null}
            {mayFile ? (
              <form
                data-open-only
                method="post"
                action={`/requests/${request.id}/scan`}
                encType="multipart/form-data"
                className="mt-3 space-y-2"
              >
                <label htmlFor="scan" className="block text-sm font-medium text-slate-700">
                  {t('requests.fields.scan')}
                </label>
                <input
                  id="scan"
                  name="scan"
                  type="file"
                  accept="application/pdf,image/jpeg,image/png"
                  required
                  className="block w-full text-sm text-slate-700 file:mr-3 file:rounded-md file:border-0 file:bg-slate-100 file:px-3 file:py-2 file:text-sm file:font-medium"
                />
                <button
                  type="submit"
                  className="rounded-md bg-slate-800 px-4 py-2 text-sm font-medium text-white hover:bg-slate-900"
                >
                  {t('requests.uploadScan')}
                </button>
              </form>
            ) : null}
          </Card>

          {mayDecide ? (
            <Card title={t('requests.decision')}>
              {/* once approved, the password callout stays and the now pointless buttons go (no re-render: it would drop the password) */}
              <div className="[&:has([role=status])_[data-testid=reject-request]]:hidden [&:has([role=status])_button]:hidden [&:has([role=status])_hr]:hidden">
                <ActionForm
                  action={approveRequest}
                  submitLabel={
                    request.kind === 'ACTIVATION' ? t('requests.approve') : t('requests.approveRenewal')
                  }
                  keepMessage
                  testId="approve-request"
                >
                  <input type="hidden" name="id" value={request.id} />
                </ActionForm>
                <hr className="my-5 border-slate-100" />
                <ActionForm
                  action={rejectRequest}
                  submitLabel={t('requests.reject')}
                  submitVariant="danger"
                  testId="reject-request"
                >
                  <input type="hidden" name="id" value={request.id} />
                  <Field name="reason" label={t('requests.fields.reason')} required />
                </ActionForm>
              </div>
            </Card>
          ) : null}

          {mayFile ? (
            <div data-open-only>
              <Card>
                <ActionForm
                  action={cancelRequest}
                  submitLabel={t('requests.cancel')}
                  submitVariant="secondary"
                  testId="cancel-request"
                >
                  <input type="hidden" name="id" value={request.id} />
                </ActionForm>
              </Card>
            </div>
          ) : null}
        </div>
      </div>
    </>
  );
}

/** Activation and renewal requests in scope: search, status/kind filters and pagination in SQL. */
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { getPrisma, type RequestKind, type RequestStatus } from '@/lib/db';
import { formatDate } from '@/lib/i18n';
import { getTranslator } from '@/lib/i18n/server';
import { isAdmin } from '@/lib/permissions';
import { parsePage } from '@/lib/queries/pagination';
import { listRequests } from '@/lib/queries/requests';
import { requestNumber } from '@/lib/requests/messages';
import { requireActor } from '@/lib/session';
import { PageHeader, ResultsTable, SearchBar } from '@/app/components/ui';
import { StatusBadge } from './status-badge';

export const dynamic = 'force-dynamic';

const statuses: RequestStatus[] = ['SUBMITTED', 'PROVISIONED', 'REJECTED', 'CANCELLED'];
const kinds: RequestKind[] = ['ACTIVATION', 'RENEWAL'];

export default async function RequestsPage({ searchParams }: { searchParams: Promise<Record<string, string | undefined>> }) {
  const actor = await requireActor();
  if (!isAdmin(actor)) notFound();
  const { locale, t } = await getTranslator();
  const params = await searchParams;
  const status = statuses.includes(params.status as RequestStatus) ? (params.status as RequestStatus) : undefined;
  const kind = kinds.includes(params.kind as RequestKind) ? (params.kind as RequestKind) : undefined;
  const page = await listRequests(getPrisma(), actor, { q: params.q, status, kind, page: parsePage(params.page) });
  const href = (p: number) => {
    const q = new URLSearchParams(Object.entries({ ...params, page: String(p) }).filter(([, v]) => v) as [string, string][]);
    return `/requests?${q}`;
  };
  const selectClass = 'rounded-md border border-slate-300 bg-white px-3 py-2 text-sm';

  return (
    <>
      <PageHeader
        title={t('requests.title')}
        subtitle={t('requests.subtitle')}
        actions={
          <div className="flex gap-2">
            <Link href="/requests/renew" className="rounded-md border border-slate-300 bg-white px-4 py-2 text-sm font-medium text-slate-800 shadow-sm hover:bg-slate-50">
              {t('requests.newRenewal')}
            </Link>
            <Link href="/requests/new" className="rounded-md bg-blue-700 px-4 py-2 text-sm font-medium text-white shadow-sm hover:bg-blue-800" data-testid="new-activation">
              {t('requests.newActivation')}
            </Link>
          </div>
        }
      />
      <SearchBar q={params.q} placeholder={t('requests.searchPlaceholder')} label={t('common.search')}>
        <select name="status" defaultValue={status ?? ''} aria-label={t('requests.status')} className={selectClass}>
          <option value="">{t('requests.allStatuses')}</option>
          {statuses.map((s) => (
            <option key={s} value={s}>
              {t(`requests.statuses.${s}`)}
            </option>
          ))}
        </select>
        <select name="kind" defaultValue={kind ?? ''} aria-label={t('requests.kind')} className={selectClass}>
          <option value="">{t('requests.allKinds')}</option>
          {kinds.map((k) => (
            <option key={k} value={k}>
              {t(`requests.kinds.${k}`)}
            </option>
          ))}
        </select>
      </SearchBar>
      <ResultsTable
        isEmpty={page.rows.length === 0}
        empty={{ title: t('requests.empty'), hint: t('requests.emptyHint') }}
        resultsLabel={t('common.results', { count: page.total })}
        testId="requests-table"
        columns={[
          { label: t('requests.address'), className: 'px-5 py-2 font-medium' },
          { label: t('requests.status'), className: 'hidden px-3 py-2 font-medium sm:table-cell' },
          { label: t('requests.holder'), className: 'hidden px-3 py-2 font-medium md:table-cell' },
          { label: t('requests.customer'), className: 'hidden px-3 py-2 font-medium lg:table-cell' },
          { label: t('requests.submittedAt'), className: 'hidden px-5 py-2 font-medium sm:table-cell' },
        ]}
        pagination={{ page: page.page, pages: page.pages, href, labels: { previous: t('common.previous'), next: t('common.next'), page: t('common.page', { page: page.page, pages: page.pages }) } }}
      >
        {page.rows.map((r) => (
          <tr key={r.id} className="hover:bg-slate-50">
            <td className="px-5 py-2.5">
              <Link href={`/requests/${r.id}`} className="break-all font-medium text-blue-800 hover:underline">
                {r.requestedAddress ?? requestNumber(r.id)}
              </Link>
              <span className="block text-xs text-slate-500">
                {t(`requests.kinds.${r.kind}`)} · n. {requestNumber(r.id)}
              </span>
              {/* on a phone the status sits under the address instead of in its own column */}
              <span className="mt-1 block sm:hidden">
                <StatusBadge status={r.status} label={t(`requests.statuses.${r.status}`)} />
              </span>
            </td>
            <td className="hidden px-3 py-2.5 sm:table-cell">
              <StatusBadge status={r.status} label={t(`requests.statuses.${r.status}`)} />
            </td>
            <td className="hidden px-3 py-2.5 text-slate-700 md:table-cell">{(r.formData as { holderName?: string }).holderName ?? '—'}</td>
            <td className="hidden px-3 py-2.5 text-slate-600 lg:table-cell">{r.requesterOrganization.name}</td>
            <td className="hidden px-5 py-2.5 text-slate-600 sm:table-cell">{formatDate(locale, r.submittedAt ?? r.createdAt)}</td>
          </tr>
        ))}
      </ResultsTable>
    </>
  );
}

/** Domains in reach: search and pagination in SQL; the add form for what the role may add. */
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { getPrisma, type DnsVerificationState } from '@/lib/db';
import { formatDateTime } from '@/lib/i18n';
import { getTranslator } from '@/lib/i18n/server';
import { isAdmin } from '@/lib/permissions';
import { listDomains } from '@/lib/queries/domains';
import { organizationChoices } from '@/lib/queries/organizations';
import { parsePage } from '@/lib/queries/pagination';
import { requireActor } from '@/lib/session';
import { ActionForm, Field, SelectField } from '@/app/components/action-form';
import { Card, PageHeader, ResultsTable, SearchBar } from '@/app/components/ui';
import { addDomain } from './actions';
import { DomainStateBadge } from './state-badge';

export const dynamic = 'force-dynamic';

type Search = Record<string, string | undefined>;
const states: DnsVerificationState[] = ['PENDING', 'VERIFIED', 'FAILED'];

export default async function DomainsPage({ searchParams }: { searchParams: Promise<Search> }) {
  const actor = await requireActor();
  if (!isAdmin(actor)) notFound();
  const { locale, t } = await getTranslator();
  const params = await searchParams;
  const state = states.find((s) => s === params.state);
  const db = getPrisma();
  const page = await listDomains(db, actor, { q: params.q, state, page: parsePage(params.page) });
  const owners = await organizationChoices(db, actor, ['COMPANY', 'RESELLER']);
  const kinds = actor.role === 'PROVIDER_ADMIN' ? (['COMPANY', 'PROVIDER_SHARED'] as const) : (['COMPANY'] as const);
  const href = (p: number) => {
    const q = new URLSearchParams(Object.entries({ ...params, page: String(p) }).filter(([, v]) => v) as [string, string][]);
    return `/domains?${q}`;
  };

  return (
    <>
      <PageHeader title={t('domains.title')} subtitle={t('domains.subtitle')} />
      <div className="grid gap-6 xl:grid-cols-3">
        <div className="xl:col-span-2">
          <SearchBar q={params.q} placeholder={t('domains.searchPlaceholder')} label={t('common.search')}>
            <select name="state" defaultValue={state ?? ''} aria-label={t('domains.state')} className="rounded-md border border-slate-300 bg-white px-3 py-2 text-sm">
              <option value="">{t('domains.state')}</option>
              {states.map((s) => (
                <option key={s} value={s}>{t(`domains.states.${s}`)}</option>
              ))}
            </select>
          </SearchBar>
          <ResultsTable
            isEmpty={page.rows.length === 0}
            empty={{ title: t('domains.empty'), hint: t('domains.emptyHint') }}
            resultsLabel={t('common.results', { count: page.total })}
            testId="domains-table"
            columns={[
              { label: t('domains.name'), className: 'px-5 py-2 font-medium' },
              { label: t('domains.state'), className: 'px-3 py-2 font-medium' },
              { label: t('domains.organization'), className: 'hidden px-3 py-2 font-medium md:table-cell' },
              { label: t('domains.mailboxes'), className: 'px-3 py-2 text-right font-medium' },
              { label: t('domains.lastChecked'), className: 'hidden px-5 py-2 font-medium lg:table-cell' },
            ]}
            pagination={{ page: page.page, pages: page.pages, href, labels: { previous: t('common.previous'), next: t('common.next'), page: t('common.page', { page: page.page, pages: page.pages }) } }}
          >
            {page.rows.map((d) => (
              <tr key={d.id} className="hover:bg-slate-50">
                <td className="px-5 py-2.5">
                  <Link href={`/domains/${d.id}`} className="font-medium text-blue-800 hover:underline">{d.name}</Link>
                  <span className="block text-xs text-slate-500">{t(`domains.kinds.${d.kind}`)}</span>
                </td>
                <td className="px-3 py-2.5"><DomainStateBadge state={d.verificationState} label={t(`domains.states.${d.verificationState}`)} /></td>
                <td className="hidden px-3 py-2.5 text-slate-600 md:table-cell">{d.organizationName}</td>
                <td className="px-3 py-2.5 text-right tabular-nums">
                  {d.mailboxCount}
                  {d.mailboxLimit !== null ? <span className="text-slate-400"> / {d.mailboxLimit}</span> : null}
                </td>
                <td className="hidden px-5 py-2.5 text-slate-600 lg:table-cell">{d.lastCheckedAt ? formatDateTime(locale, d.lastCheckedAt) : t('domains.never')}</td>
              </tr>
            ))}
          </ResultsTable>
        </div>
        {owners.length > 0 ? (
          <Card title={t('domains.addTitle')}>
            <ActionForm action={addDomain} submitLabel={t('common.create')} testId="add-domain">
              <Field name="name" label={t('domains.name')} placeholder="pec.azienda.it" required hint={t('domains.addHint')} />
              {kinds.length > 1 ? (
                <SelectField name="kind" label={t('domains.kind')} options={kinds.map((k) => ({ value: k, label: t(`domains.kinds.${k}`) }))} />
              ) : (
                <input type="hidden" name="kind" value="COMPANY" />
              )}
              <SelectField name="organizationId" label={t('domains.organization')} options={owners.map((o) => ({ value: o.id, label: o.name }))} />
              <Field name="mailboxLimit" label={t('domains.limit')} inputMode="numeric" hint={t('domains.limitHint')} />
            </ActionForm>
          </Card>
        ) : null}
      </div>
    </>
  );
}

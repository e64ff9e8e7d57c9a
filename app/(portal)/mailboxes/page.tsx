/**
 * Mailboxes in scope: search (address prefix, holder name, codice fiscale), status filter, sort by
 * address/expiry/status and pagination, all in SQL; the create form beside the list.
 */
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { getPrisma, type MailboxStatus } from '@/lib/db';
import { formatDate } from '@/lib/i18n';
import { getTranslator } from '@/lib/i18n/server';
import { mebibyte } from '@/lib/mailboxes/holder';
import { isAdmin } from '@/lib/permissions';
import { mailboxDomainChoices } from '@/lib/queries/domains';
import { listMailboxes, mailboxSorts, type MailboxSort } from '@/lib/queries/mailboxes';
import { organizationChoices } from '@/lib/queries/organizations';
import { companiesFirst } from '@/lib/mailboxes/holder';
import { parsePage } from '@/lib/queries/pagination';
import { requireActor } from '@/lib/session';
import { Card, PageHeader, ResultsTable, SearchBar } from '@/app/components/ui';
import { CreateMailboxForm } from './create-form';
import { MailboxStatusBadge } from './status-badge';

export const dynamic = 'force-dynamic';

type Search = Record<string, string | undefined>;
const statuses: MailboxStatus[] = ['ACTIVE', 'SUSPENDED', 'EXPIRED', 'CEASED'];

export default async function MailboxesPage({ searchParams }: { searchParams: Promise<Search> }) {
  const actor = await requireActor();
  if (!isAdmin(actor)) notFound();
  const { locale, t } = await getTranslator();
  const params = await searchParams;
  const status = statuses.find((s) => s === params.status);
  const sort: MailboxSort = mailboxSorts.find((s) => s === params.sort) ?? 'address';
  const db = getPrisma();
  const [page, domains, organizations] = await Promise.all([
    listMailboxes(db, actor, { q: params.q, status, sort, page: parsePage(params.page) }),
    mailboxDomainChoices(db, actor),
    organizationChoices(db, actor, ['COMPANY', 'RESELLER', 'PROVIDER']),
  ]);
  const filter = Object.entries({ q: params.q, status, sort }).filter(([, v]) => v) as [string, string][];
  const href = (p: number) => `/mailboxes?${new URLSearchParams([...filter, ['page', String(p)]])}`;
  const exportHref = `/mailboxes/export?${new URLSearchParams(filter)}`;
  const button = 'rounded-md border border-slate-300 bg-white px-3 py-2 text-sm font-medium text-slate-800 shadow-sm hover:bg-slate-50';

  return (
    <>
      <PageHeader
        title={t('mailboxes.title')}
        subtitle={t('mailboxes.subtitle')}
        actions={
          <div className="flex gap-2">
            <Link href="/mailboxes/import" className={button} data-testid="import-link">{t('mailboxes.import')}</Link>
            <a href={exportHref} className={button} data-testid="export-link">{t('mailboxes.export')}</a>
          </div>
        }
      />
      <div className="grid gap-6 xl:grid-cols-3">
        <div className="min-w-0 xl:col-span-2">
          <SearchBar q={params.q} placeholder={t('mailboxes.searchPlaceholder')} label={t('common.search')}>
            <select name="status" defaultValue={status ?? ''} aria-label={t('mailboxes.status')} className="rounded-md border border-slate-300 bg-white px-3 py-2 text-sm">
              <option value="">{t('mailboxes.allStatuses')}</option>
              {statuses.map((s) => (
                <option key={s} value={s}>{t(`mailboxes.statuses.${s}`)}</option>
              ))}
            </select>
            <select name="sort" defaultValue={sort} aria-label={t('mailboxes.sort')} className="rounded-md border border-slate-300 bg-white px-3 py-2 text-sm">
              <option value="address">{t('mailboxes.sortAddress')}</option>
              <option value="expiry">{t('mailboxes.sortExpiry')}</option>
              <option value="status">{t('mailboxes.sortStatus')}</option>
            </select>
          </SearchBar>
          <ResultsTable
            isEmpty={page.rows.length === 0}
            empty={{ title: t('mailboxes.empty'), hint: t('mailboxes.emptyHint') }}
            resultsLabel={t('common.results', { count: page.total })}
            testId="mailboxes-table"
            columns={[
              { label: t('mailboxes.address'), className: 'px-5 py-2 font-medium' },
              { label: t('mailboxes.status'), className: 'px-3 py-2 font-medium' },
              { label: t('mailboxes.organization'), className: 'hidden px-3 py-2 font-medium md:table-cell' },
              { label: t('mailboxes.quota'), className: 'hidden px-3 py-2 text-right font-medium sm:table-cell' },
              { label: t('mailboxes.expiry'), className: 'px-5 py-2 font-medium' },
            ]}
            pagination={{ page: page.page, pages: page.pages, href, labels: { previous: t('common.previous'), next: t('common.next'), page: t('common.page', { page: page.page, pages: page.pages }) } }}
          >
            {page.rows.map((m) => (
              <tr key={m.id} className="hover:bg-slate-50">
                <td className="max-w-xs px-5 py-2.5">
                  <Link href={`/mailboxes/${m.id}`} className="font-medium break-all text-blue-800 hover:underline">{m.address}</Link>
                  <span className="block text-xs text-slate-500">{[m.holderName, m.holderSurname].filter(Boolean).join(' ')}</span>
                </td>
                <td className="px-3 py-2.5"><MailboxStatusBadge status={m.status} label={t(`mailboxes.statuses.${m.status}`)} /></td>
                <td className="hidden px-3 py-2.5 text-slate-600 md:table-cell">{m.organization.name}</td>
                <td className="hidden px-3 py-2.5 text-right tabular-nums text-slate-600 sm:table-cell">
                  {String(m.usedBytes / mebibyte)} / {String(m.quotaBytes / mebibyte)} MB
                </td>
                <td className="px-5 py-2.5 whitespace-nowrap text-slate-600">{formatDate(locale, m.expiresAt)}</td>
              </tr>
            ))}
          </ResultsTable>
        </div>
        <Card title={t('mailboxes.createTitle')}>
          {domains.length === 0 ? (
            <p className="text-sm text-slate-600">{t('mailboxes.noDomains')}</p>
          ) : (
            <CreateMailboxForm
              organizations={companiesFirst(organizations).map((o) => ({ value: o.id, label: o.name }))}
              domains={domains.map((d) => ({ value: d.id, label: `@${d.name}` }))}
              labels={{
                submit: t('common.create'),
                organization: t('mailboxes.organization'),
                domain: t('mailboxes.domain'),
                localPart: t('mailboxes.localPart'),
                holderType: t('mailboxes.holderType'),
                holderTypes: {
                  NATURAL_PERSON: t('mailboxes.holderTypes.NATURAL_PERSON'),
                  LEGAL_PERSON: t('mailboxes.holderTypes.LEGAL_PERSON'),
                  PUBLIC_ADMINISTRATION: t('mailboxes.holderTypes.PUBLIC_ADMINISTRATION'),
                },
                holderName: t('mailboxes.holderName'),
                holderSurname: t('mailboxes.holderSurname'),
                fiscalCode: t('mailboxes.fiscalCode'),
                vatNumber: t('mailboxes.vatNumber'),
                taxHint: t('mailboxes.taxHint'),
                contactEmail: t('mailboxes.contactEmail'),
                quotaMb: t('mailboxes.quotaMb'),
                expiresOn: t('mailboxes.expiresOn'),
              }}
              defaultExpiry={new Date(Date.now() + 365 * 86_400_000).toISOString().slice(0, 10)}
            />
          )}
        </Card>
      </div>
    </>
  );
}

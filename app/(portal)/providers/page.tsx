/**
 * The trusted-provider index (provider admin only): search by name, domain, service address or
 * fingerprint; each entry's domains and certificates; add a provider by hand, import the official
 * LDIF, download our own record. Changes reach the running MTAs within seconds.
 */
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { getPrisma } from '@/lib/db';
import { formatDate } from '@/lib/i18n';
import { getTranslator } from '@/lib/i18n/server';
import { canManageTrust } from '@/lib/permissions';
import { parsePage } from '@/lib/queries/pagination';
import { requireActor } from '@/lib/session';
import { ActionForm, Field } from '@/app/components/action-form';
import { Badge, Card, PageHeader, ResultsTable, SearchBar } from '@/app/components/ui';
import { addProvider, importIndex } from './actions';
import { listTrustedProviders, type ProviderStateFilter } from './queries';
import { TextAreaField, TextFileField } from './text-file-field';

export const dynamic = 'force-dynamic';

type Search = Record<string, string | undefined>;
const states: ProviderStateFilter[] = ['enabled', 'disabled'];

export default async function ProvidersPage({ searchParams }: { searchParams: Promise<Search> }) {
  const actor = await requireActor();
  if (!canManageTrust(actor)) notFound();
  const { locale, t } = await getTranslator();
  const params = await searchParams;
  const state = states.find((s) => s === params.state);
  const page = await listTrustedProviders(getPrisma(), { q: params.q, state, page: parsePage(params.page) });
  const now = new Date();
  const href = (p: number) => {
    const q = new URLSearchParams(Object.entries({ ...params, page: String(p) }).filter(([, v]) => v) as [string, string][]);
    return `/providers?${q}`;
  };

  return (
    <>
      <PageHeader title={t('providers.title')} subtitle={t('providers.subtitle')} />
      <div className="grid gap-6 xl:grid-cols-3">
        <div className="xl:col-span-2">
          <SearchBar q={params.q} placeholder={t('providers.searchPlaceholder')} label={t('common.search')}>
            <select name="state" defaultValue={state ?? ''} aria-label={t('providers.state')} className="rounded-md border border-slate-300 bg-white px-3 py-2 text-sm">
              <option value="">{t('providers.all')}</option>
              <option value="enabled">{t('providers.enabled')}</option>
              <option value="disabled">{t('providers.disabledState')}</option>
            </select>
          </SearchBar>
          <ResultsTable
            isEmpty={page.rows.length === 0}
            empty={{ title: t('providers.empty'), hint: t('providers.emptyHint') }}
            resultsLabel={t('common.results', { count: page.total })}
            testId="providers-table"
            columns={[
              { label: t('providers.name'), className: 'px-5 py-2 font-medium' },
              { label: t('providers.domains'), className: 'px-3 py-2 font-medium' },
              { label: t('providers.certificates'), className: 'hidden px-3 py-2 font-medium lg:table-cell' },
              { label: t('providers.state'), className: 'px-5 py-2 font-medium' },
            ]}
            pagination={{ page: page.page, pages: page.pages, href, labels: { previous: t('common.previous'), next: t('common.next'), page: t('common.page', { page: page.page, pages: page.pages }) } }}
          >
            {page.rows.map((p) => (
              <tr key={p.id} className={`align-top hover:bg-slate-50 ${p.disabled ? 'text-slate-400' : ''}`}>
                <td className="px-5 py-2.5">
                  <Link href={`/providers/${p.id}`} className="font-medium text-blue-800 hover:underline">{p.providerName}</Link>
                  {p.providerUnit ? <span className="block text-xs text-slate-500">{p.providerUnit}</span> : null}
                  <span className="block text-xs text-slate-500 [overflow-wrap:anywhere]">{p.mailReceipt}</span>
                  <span className="mt-1 flex gap-1">
                    <Badge tone={p.source === 'MANUAL' ? 'blue' : 'slate'}>{t(`providers.sources.${p.source}`)}</Badge>
                    {p.isSelf ? <Badge tone="green">{t('providers.self')}</Badge> : null}
                  </span>
                </td>
                <td className="px-3 py-2.5 text-xs">
                  {p.domains.slice(0, 4).map((d) => (
                    <span key={d.domain} className="block whitespace-nowrap font-mono">{d.domain}</span>
                  ))}
                  {p.domains.length > 4 ? <span className="text-slate-500">+{p.domains.length - 4}</span> : null}
                </td>
                <td className="hidden px-3 py-2.5 text-xs lg:table-cell">
                  {p.certificates.map((c) => (
                    <span key={c.id} className="block">
                      <span className="font-mono" title={c.sha1}>{c.sha1.slice(0, 16)}…</span>{' '}
                      <span className={c.notAfter && c.notAfter < now ? 'text-red-700' : 'text-slate-500'}>
                        {c.notAfter ? (c.notAfter < now ? t('providers.expired') : `→ ${formatDate(locale, c.notAfter)}`) : ''}
                      </span>
                    </span>
                  ))}
                </td>
                <td className="px-5 py-2.5">
                  <Badge tone={p.disabled ? 'red' : 'green'}>{p.disabled ? t('providers.disabledState') : t('providers.enabled')}</Badge>
                </td>
              </tr>
            ))}
          </ResultsTable>
        </div>
        <div className="space-y-6">
          <Card title={t('providers.addTitle')}>
            <ActionForm action={addProvider} submitLabel={t('common.create')} testId="add-provider">
              <Field name="providerName" label={t('providers.name')} required />
              <Field name="providerUnit" label={t('providers.unit')} />
              <Field name="mailReceipt" label={t('providers.mailReceipt')} placeholder="posta-certificata@pec.gestore.it" required />
              <TextAreaField name="domains" label={t('providers.domains')} hint={t('providers.domainsHint')} required />
              <TextFileField name="certificatesPem" label={t('providers.certificates')} fileLabel={t('providers.certificateFile')} hint={t('providers.certificatesHint')} accept=".pem,.cer,.crt,.der" certificates required />
            </ActionForm>
          </Card>
          <Card title={t('providers.importTitle')}>
            <p className="mb-3 text-sm text-slate-600">{t('providers.importHint')}</p>
            <ActionForm action={importIndex} submitLabel={t('providers.importButton')} testId="import-index" keepMessage>
              <TextFileField name="ldif" label={t('providers.importText')} fileLabel={t('providers.importFile')} accept=".ldif,.txt,text/plain" rows={4} required />
            </ActionForm>
          </Card>
          <Card title={t('providers.exportTitle')}>
            <p className="mb-3 text-sm text-slate-600">{t('providers.exportHint')}</p>
            <a href="/providers/export" className="inline-flex items-center rounded-md border border-slate-300 bg-white px-4 py-2 text-sm font-medium text-slate-800 shadow-sm hover:bg-slate-50" data-testid="export-own">
              {t('providers.exportButton')}
            </a>
          </Card>
        </div>
      </div>
    </>
  );
}

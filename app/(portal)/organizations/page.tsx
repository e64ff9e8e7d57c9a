/** Organizations in scope: search, sort and pagination in SQL; create form for what the role may create. */
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { getPrisma, type OrganizationKind } from '@/lib/db';
import { formatDate } from '@/lib/i18n';
import { getTranslator } from '@/lib/i18n/server';
import { canCreateOrganization, creatableOrganizationKinds } from '@/lib/permissions';
import { listOrganizations, organizationChoices } from '@/lib/queries/organizations';
import { parsePage } from '@/lib/queries/pagination';
import { requireActor } from '@/lib/session';
import { ActionForm, CheckboxField, Field, SelectField } from '@/app/components/action-form';
import { Badge, Card, PageHeader, ResultsTable, SearchBar } from '@/app/components/ui';
import { createOrganization } from './actions';

export const dynamic = 'force-dynamic';

type Search = Record<string, string | undefined>;

export default async function OrganizationsPage({ searchParams }: { searchParams: Promise<Search> }) {
  const actor = await requireActor();
  if (actor.role !== 'PROVIDER_ADMIN' && actor.role !== 'RESELLER_ADMIN') notFound();
  const { locale, t } = await getTranslator();
  const params = await searchParams;
  const kind = params.kind === 'RESELLER' || params.kind === 'COMPANY' ? (params.kind as OrganizationKind) : undefined;
  const sort = params.sort === 'created' ? 'created' : 'name';
  const db = getPrisma();
  const page = await listOrganizations(db, actor, { q: params.q, kind, sort, page: parsePage(params.page) });
  const kinds = creatableOrganizationKinds(actor);
  const parents = (await organizationChoices(db, actor, ['PROVIDER', 'RESELLER'])).filter((p) =>
    kinds.some((k) => canCreateOrganization(actor, k, p)),
  );
  const href = (p: number) => {
    const q = new URLSearchParams(Object.entries({ ...params, page: String(p) }).filter(([, v]) => v) as [string, string][]);
    return `/organizations?${q}`;
  };

  return (
    <>
      <PageHeader title={t('organizations.title')} subtitle={t('organizations.subtitle')} />
      <div className="grid gap-6 xl:grid-cols-3">
        <div className="xl:col-span-2">
          <SearchBar q={params.q} placeholder={t('organizations.searchPlaceholder')} label={t('common.search')}>
            {kind ? <input type="hidden" name="kind" value={kind} /> : null}
            <select name="sort" defaultValue={sort} aria-label={t('organizations.sort')} className="rounded-md border border-slate-300 bg-white px-3 py-2 text-sm">
              <option value="name">{t('organizations.sortName')}</option>
              <option value="created">{t('organizations.sortCreated')}</option>
            </select>
          </SearchBar>
          <ResultsTable
            isEmpty={page.rows.length === 0}
            empty={{ title: t('organizations.empty'), hint: kinds.length ? t('organizations.emptyHint') : undefined }}
            resultsLabel={t('common.results', { count: page.total })}
            testId="organizations-table"
            columns={[
              { label: t('common.name'), className: 'px-5 py-2 font-medium' },
              { label: t('common.kind'), className: 'px-3 py-2 font-medium' },
              { label: t('organizations.parent'), className: 'hidden px-3 py-2 font-medium md:table-cell' },
              { label: t('organizations.mailboxes'), className: 'px-3 py-2 text-right font-medium' },
              { label: t('common.createdAt'), className: 'hidden px-5 py-2 font-medium sm:table-cell' },
            ]}
            pagination={{ page: page.page, pages: page.pages, href, labels: { previous: t('common.previous'), next: t('common.next'), page: t('common.page', { page: page.page, pages: page.pages }) } }}
          >
            {page.rows.map((o) => (
              <tr key={o.id} className="hover:bg-slate-50">
                <td className="px-5 py-2.5">
                  <Link href={`/organizations/${o.id}`} className="font-medium text-blue-800 hover:underline">{o.name}</Link>
                  {o.vatNumber ? <span className="block text-xs text-slate-500">P.IVA {o.vatNumber}</span> : null}
                </td>
                <td className="px-3 py-2.5">
                  <Badge tone={o.kind === 'RESELLER' ? 'blue' : o.kind === 'PROVIDER' ? 'amber' : 'slate'}>{t(`orgKinds.${o.kind}`)}</Badge>
                  {o.disabled ? <Badge tone="red">{t('common.disabled')}</Badge> : null}
                </td>
                <td className="hidden px-3 py-2.5 text-slate-600 md:table-cell">{o.parentName ?? '—'}</td>
                <td className="px-3 py-2.5 text-right tabular-nums">{o.mailboxCount}</td>
                <td className="hidden px-5 py-2.5 text-slate-600 sm:table-cell">{formatDate(locale, o.createdAt)}</td>
              </tr>
            ))}
          </ResultsTable>
        </div>
        {kinds.length > 0 && parents.length > 0 ? (
          <Card title={t('organizations.createTitle')}>
            <ActionForm action={createOrganization} submitLabel={t('common.create')} testId="create-organization">
              <SelectField
                name="kind"
                label={t('common.kind')}
                options={kinds.map((k) => ({ value: k, label: t(`orgKinds.${k}`) }))}
              />
              <SelectField
                name="parentId"
                label={t('organizations.parent')}
                options={parents.map((p) => ({ value: p.id, label: `${p.name} (${t(`orgKinds.${p.kind}`)})` }))}
              />
              <Field name="name" label={t('common.name')} required />
              <Field name="vatNumber" label={t('organizations.vatNumber')} inputMode="numeric" />
              <Field name="fiscalCode" label={t('organizations.fiscalCode')} />
              <Field name="contactEmail" label={t('organizations.contactEmail')} type="email" />
              <CheckboxField name="requireTotpForAdmins" label={t('organizations.requireTotp')} />
            </ActionForm>
          </Card>
        ) : null}
      </div>
    </>
  );
}

/** Portal users in scope (search + pagination in SQL) and the form to create one. */
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { getPrisma } from '@/lib/db';
import { formatDateTime } from '@/lib/i18n';
import { getTranslator } from '@/lib/i18n/server';
import { grantableRoles, isAdmin, roleFitsOrganization } from '@/lib/permissions';
import { organizationChoices } from '@/lib/queries/organizations';
import { parsePage } from '@/lib/queries/pagination';
import { listUsers } from '@/lib/queries/users';
import { requireActor } from '@/lib/session';
import { ActionForm, Field, SelectField } from '@/app/components/action-form';
import { Badge, Card, PageHeader, ResultsTable, SearchBar } from '@/app/components/ui';
import { createUser } from './actions';

export const dynamic = 'force-dynamic';

export default async function UsersPage({ searchParams }: { searchParams: Promise<Record<string, string | undefined>> }) {
  const actor = await requireActor();
  if (!isAdmin(actor)) notFound();
  const { locale, t } = await getTranslator();
  const params = await searchParams;
  const db = getPrisma();
  const page = await listUsers(db, actor, { q: params.q, organizationId: params.org, page: parsePage(params.page) });
  const roles = grantableRoles(actor);
  const orgs = (await organizationChoices(db, actor)).filter((o) => roles.some((r) => roleFitsOrganization(r, o.kind)));
  const href = (p: number) => `/users?${new URLSearchParams({ ...(params.q ? { q: params.q } : {}), page: String(p) })}`;

  return (
    <>
      <PageHeader title={t('users.title')} subtitle={t('users.subtitle')} />
      <div className="grid gap-6 xl:grid-cols-3">
        <div className="xl:col-span-2">
          <SearchBar q={params.q} placeholder={t('users.searchPlaceholder')} label={t('common.search')} />
          <ResultsTable
            isEmpty={page.rows.length === 0}
            empty={{ title: t('users.empty'), hint: t('users.emptyHint') }}
            resultsLabel={t('common.results', { count: page.total })}
            testId="users-table"
            columns={[
              { label: t('common.email'), className: 'px-5 py-2 font-medium' },
              { label: t('common.role'), className: 'px-3 py-2 font-medium' },
              { label: t('common.organization'), className: 'hidden px-3 py-2 font-medium md:table-cell' },
              { label: t('users.lastLogin'), className: 'hidden px-5 py-2 font-medium sm:table-cell' },
            ]}
            pagination={{ page: page.page, pages: page.pages, href, labels: { previous: t('common.previous'), next: t('common.next'), page: t('common.page', { page: page.page, pages: page.pages }) } }}
          >
            {page.rows.map((u) => (
              <tr key={u.id} className="hover:bg-slate-50">
                <td className="px-5 py-2.5">
                  <Link href={`/users/${u.id}`} className="font-medium text-blue-800 hover:underline">{u.email}</Link>
                  {u.displayName ? <span className="block text-xs text-slate-500">{u.displayName}</span> : null}
                </td>
                <td className="px-3 py-2.5">
                  <span className="flex flex-wrap gap-1">
                    <Badge tone="blue">{t(`roles.${u.role}`)}</Badge>
                    {u.totpEnabled ? <Badge tone="green">{t('users.totp')}</Badge> : null}
                    {u.disabled ? <Badge tone="red">{t('common.disabled')}</Badge> : null}
                  </span>
                </td>
                <td className="hidden px-3 py-2.5 text-slate-600 md:table-cell">{u.organizationName}</td>
                <td className="hidden px-5 py-2.5 text-slate-600 sm:table-cell">
                  {u.lastLoginAt ? formatDateTime(locale, u.lastLoginAt) : t('common.never')}
                </td>
              </tr>
            ))}
          </ResultsTable>
        </div>
        {roles.length > 0 && orgs.length > 0 ? (
          <Card title={t('users.createTitle')}>
            <ActionForm action={createUser} submitLabel={t('common.create')} keepMessage testId="create-user">
              <Field name="email" label={t('common.email')} type="email" required />
              <Field name="displayName" label={t('users.displayName')} />
              <SelectField name="role" label={t('common.role')} options={roles.map((r) => ({ value: r, label: t(`roles.${r}`) }))} />
              <SelectField
                name="organizationId"
                label={t('common.organization')}
                options={orgs.map((o) => ({ value: o.id, label: `${o.name} (${t(`orgKinds.${o.kind}`)})` }))}
              />
              <Field name="mailboxAddress" label={t('users.mailboxAddress')} type="email" />
            </ActionForm>
          </Card>
        ) : null}
      </div>
    </>
  );
}

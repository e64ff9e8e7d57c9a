/** One organization: details, related organizations, settings. Out of scope (or unknown) → 404. */
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { getPrisma } from '@/lib/db';
import { getTranslator } from '@/lib/i18n/server';
import { canEditOrganization, canGrantActivationApproval, canViewOrganization } from '@/lib/permissions';
import { getOrganizationForActor } from '@/lib/queries/organizations';
import { requireActor } from '@/lib/session';
import { ActionForm, CheckboxField, Field } from '@/app/components/action-form';
import { Badge, Card, PageHeader } from '@/app/components/ui';
import { updateOrganization } from '../actions';

export const dynamic = 'force-dynamic';

export default async function OrganizationPage({ params }: { params: Promise<{ id: string }> }) {
  const actor = await requireActor();
  const { id } = await params;
  const org = await getOrganizationForActor(getPrisma(), actor, id);
  if (!org || !canViewOrganization(actor, org)) notFound();
  const { t } = await getTranslator();
  const editable = canEditOrganization(actor, org);

  return (
    <>
      <PageHeader
        title={org.name}
        subtitle={`${t(`orgKinds.${org.kind}`)}${org.parent ? ` · ${org.parent.name}` : ''}`}
        actions={
          <Link href="/organizations" className="text-sm text-blue-800 hover:underline">
            ← {t('organizations.title')}
          </Link>
        }
      />
      <div className="grid gap-6 lg:grid-cols-3">
        <Card title={t('common.details')}>
          <dl className="space-y-3 text-sm">
            <div><dt className="text-slate-500">{t('organizations.vatNumber')}</dt><dd data-testid="org-vat">{org.vatNumber ?? '—'}</dd></div>
            <div><dt className="text-slate-500">{t('organizations.fiscalCode')}</dt><dd>{org.fiscalCode ?? '—'}</dd></div>
            <div><dt className="text-slate-500">{t('organizations.contactEmail')}</dt><dd>{org.contactEmail ?? '—'}</dd></div>
            <div className="flex gap-6">
              <div><dt className="text-slate-500">{t('organizations.users')}</dt><dd className="text-lg font-semibold">{org._count.users}</dd></div>
              <div><dt className="text-slate-500">{t('organizations.domains')}</dt><dd className="text-lg font-semibold">{org._count.domains}</dd></div>
              <div><dt className="text-slate-500">{t('organizations.mailboxes')}</dt><dd className="text-lg font-semibold">{org._count.mailboxes}</dd></div>
            </div>
            <div>{org.disabled ? <Badge tone="red">{t('common.disabled')}</Badge> : <Badge tone="green">{t('common.active')}</Badge>}</div>
          </dl>
        </Card>
        <Card title={t('organizations.children')}>
          {org.children.length === 0 ? (
            <p className="text-sm text-slate-500">—</p>
          ) : (
            <ul className="divide-y divide-slate-100 text-sm">
              {org.children.map((c) => (
                <li key={c.id} className="flex items-center justify-between py-2">
                  <Link href={`/organizations/${c.id}`} className="text-blue-800 hover:underline">{c.name}</Link>
                  <Badge>{t(`orgKinds.${c.kind}`)}</Badge>
                </li>
              ))}
            </ul>
          )}
        </Card>
        {editable ? (
          <Card title={t('organizations.settings')}>
            <ActionForm action={updateOrganization} submitLabel={t('common.save')} resetOnSuccess={false} testId="edit-organization">
              <input type="hidden" name="id" value={org.id} />
              <Field name="name" label={t('common.name')} defaultValue={org.name} required />
              <Field name="contactEmail" label={t('organizations.contactEmail')} type="email" defaultValue={org.contactEmail ?? ''} />
              <Field name="mailboxLimit" label={t('organizations.mailboxLimit')} inputMode="numeric" defaultValue={org.mailboxLimit ?? ''} />
              <CheckboxField name="requireTotpForAdmins" label={t('organizations.requireTotp')} defaultChecked={org.requireTotpForAdmins} />
              {canGrantActivationApproval(actor, org) ? (
                <CheckboxField name="mayApproveActivations" label={t('organizations.mayApprove')} defaultChecked={org.mayApproveActivations} />
              ) : null}
              {org.id !== actor.organizationId ? (
                <CheckboxField name="disabled" label={t('common.disabled')} defaultChecked={org.disabled} />
              ) : null}
            </ActionForm>
          </Card>
        ) : null}
      </div>
    </>
  );
}

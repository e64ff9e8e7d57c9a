/** The modulo di rinnovo for a mailbox in scope (found by address). */
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { getPrisma } from '@/lib/db';
import { formatDate } from '@/lib/i18n';
import { getTranslator } from '@/lib/i18n/server';
import { isAdmin, mailboxWhereForActor } from '@/lib/permissions';
import { plans } from '@/lib/requests/plans';
import { requireActor } from '@/lib/session';
import { ActionForm, CheckboxField, Field, SelectField } from '@/app/components/action-form';
import { Card, EmptyState, PageHeader, SearchBar } from '@/app/components/ui';
import { createRenewal } from '../actions';

export const dynamic = 'force-dynamic';

export default async function RenewalPage({ searchParams }: { searchParams: Promise<Record<string, string | undefined>> }) {
  const actor = await requireActor();
  if (!isAdmin(actor)) notFound();
  const { locale, t } = await getTranslator();
  const params = await searchParams;
  const q = params.q?.trim().toLowerCase();
  const mailboxes = await getPrisma().mailbox.findMany({
    where: { AND: [mailboxWhereForActor(actor), { status: { not: 'CEASED' } }, q ? { address: { contains: q } } : {}] },
    select: { id: true, address: true, expiresAt: true, holderContactEmail: true, renewalMode: true },
    orderBy: { expiresAt: 'asc' },
    take: 50,
  });
  const chosen = mailboxes.find((m) => m.id === params.mailbox) ?? (mailboxes.length === 1 ? mailboxes[0] : undefined);

  return (
    <>
      <PageHeader
        title={t('requests.newRenewal')}
        subtitle={t('requests.renewalHint')}
        actions={<Link href="/requests" className="text-sm text-blue-800 hover:underline">← {t('requests.back')}</Link>}
      />
      <Card className="max-w-3xl">
        <SearchBar q={params.q} placeholder={t('requests.address')} label={t('common.search')} />
        {mailboxes.length === 0 ? (
          <EmptyState title={t('requests.noMailboxes')} />
        ) : (
          <ActionForm action={createRenewal} submitLabel={t('requests.submit')} resetOnSuccess={false} testId="renewal-form">
            <SelectField
              name="mailboxId"
              label={t('requests.fields.mailbox')}
              defaultValue={chosen?.id}
              options={mailboxes.map((m) => ({ value: m.id, label: `${m.address} — ${t('requests.currentExpiry')}: ${formatDate(locale, m.expiresAt)}` }))}
            />
            <div className="grid gap-4 sm:grid-cols-3">
              <SelectField name="plan" label={t('requests.fields.plan')} options={plans.map((p) => ({ value: p.id, label: p.name }))} />
              <SelectField
                name="durationYears"
                label={t('requests.fields.durationYears')}
                options={[1, 2, 3, 4, 5].map((n) => ({ value: String(n), label: n === 1 ? t('requests.year') : t('requests.years', { count: n }) }))}
              />
              <SelectField
                name="renewalMode"
                label={t('requests.fields.renewalMode')}
                defaultValue={chosen?.renewalMode ?? 'MANUAL'}
                options={[
                  { value: 'MANUAL', label: t('requests.renewalModes.MANUAL') },
                  { value: 'AUTOMATIC', label: t('requests.renewalModes.AUTOMATIC') },
                ]}
              />
            </div>
            <Field name="contactEmail" type="email" label={t('requests.fields.contactEmail')} hint={t('requests.hints.contactEmail')} defaultValue={chosen?.holderContactEmail ?? ''} required />
            <CheckboxField name="acceptTerms" label={t('requests.fields.acceptTerms')} />
          </ActionForm>
        )}
      </Card>
    </>
  );
}

/** One mailbox: holder and settings, and the admin actions (suspend/reactivate, password, quota, expiry). */
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { getPrisma } from '@/lib/db';
import { formatDate, formatDateTime } from '@/lib/i18n';
import { getTranslator } from '@/lib/i18n/server';
import { mebibyte } from '@/lib/mailboxes/holder';
import { canManageMailbox, isAdmin } from '@/lib/permissions';
import { getMailboxDetailForActor } from '@/lib/queries/mailboxes';
import { requireActor } from '@/lib/session';
import { ActionForm, Field } from '@/app/components/action-form';
import { Card, PageHeader } from '@/app/components/ui';
import { reactivateMailbox, resetMailboxPassword, suspendMailbox, updateMailboxExpiry, updateMailboxQuota } from '../actions';
import { MailboxStatusBadge } from '../status-badge';

export const dynamic = 'force-dynamic';

export default async function MailboxPage({ params }: { params: Promise<{ id: string }> }) {
  const actor = await requireActor();
  if (!isAdmin(actor)) notFound();
  const { id } = await params;
  const m = await getMailboxDetailForActor(getPrisma(), actor, id);
  if (!m || !canManageMailbox(actor, m)) notFound();
  const { locale, t } = await getTranslator();
  const row = (label: string, value: string | null | undefined) => (
    <div className="grid grid-cols-3 gap-2 py-1.5">
      <dt className="text-slate-500">{label}</dt>
      <dd className="col-span-2 break-words text-slate-900">{value || '—'}</dd>
    </div>
  );

  return (
    <>
      <Link href="/mailboxes" className="text-sm text-blue-800 hover:underline">← {t('mailboxes.detailBack')}</Link>
      <PageHeader
        title={m.address}
        subtitle={m.organization.name}
        actions={<span data-testid="mailbox-status"><MailboxStatusBadge status={m.status} label={t(`mailboxes.statuses.${m.status}`)} /></span>}
      />
      <div className="grid gap-6 lg:grid-cols-2">
        <div className="space-y-6">
          <Card title={t('mailboxes.holderSection')}>
            <dl className="divide-y divide-slate-100 text-sm">
              {row(t('mailboxes.holderType'), t(`mailboxes.holderTypes.${m.holderType}`))}
              {row(t('mailboxes.holderName'), m.holderName)}
              {m.holderType === 'NATURAL_PERSON' ? row(t('mailboxes.holderSurname'), m.holderSurname) : null}
              {row(t('mailboxes.fiscalCode'), m.holderFiscalCode)}
              {row(t('mailboxes.vatNumber'), m.holderVatNumber)}
              {row(t('mailboxes.contactEmail'), m.holderContactEmail)}
            </dl>
          </Card>
          <Card title={t('mailboxes.settingsSection')}>
            <dl className="divide-y divide-slate-100 text-sm">
              {row(t('mailboxes.quota'), `${String(m.usedBytes / mebibyte)} / ${String(m.quotaBytes / mebibyte)} MB`)}
              {row(t('mailboxes.expiry'), formatDate(locale, m.expiresAt))}
              {m.statusReason ? row(t('mailboxes.statusReason'), m.statusReason) : null}
              {row(t('mailboxes.createdAt'), formatDateTime(locale, m.createdAt))}
            </dl>
          </Card>
        </div>
        <div className="space-y-6">
          {m.status === 'ACTIVE' ? (
            <Card title={t('mailboxes.suspend')}>
              <ActionForm action={suspendMailbox} submitLabel={t('mailboxes.suspend')} submitVariant="danger" testId="suspend-mailbox">
                <input type="hidden" name="id" value={m.id} />
                <Field name="reason" label={t('mailboxes.suspendReason')} />
              </ActionForm>
            </Card>
          ) : m.status === 'SUSPENDED' ? (
            <Card title={t('mailboxes.reactivate')}>
              <ActionForm action={reactivateMailbox} submitLabel={t('mailboxes.reactivate')} testId="reactivate-mailbox">
                <input type="hidden" name="id" value={m.id} />
              </ActionForm>
            </Card>
          ) : null}
          <Card title={t('mailboxes.resetPassword')}>
            <ActionForm action={resetMailboxPassword} submitLabel={t('mailboxes.resetPassword')} keepMessage submitVariant="secondary" testId="reset-mailbox-password">
              <input type="hidden" name="id" value={m.id} />
              <Field name="password" label={t('mailboxes.newPasswordOptional')} type="password" autoComplete="new-password" />
            </ActionForm>
          </Card>
          <div className="grid gap-6 sm:grid-cols-2 lg:grid-cols-1 xl:grid-cols-2">
            <Card title={t('mailboxes.changeQuota')}>
              <ActionForm action={updateMailboxQuota} submitLabel={t('common.save')} resetOnSuccess={false} testId="mailbox-quota">
                <input type="hidden" name="id" value={m.id} />
                <Field name="quotaMb" label={t('mailboxes.quotaMb')} defaultValue={String(m.quotaBytes / mebibyte)} inputMode="numeric" />
              </ActionForm>
            </Card>
            <Card title={t('mailboxes.changeExpiry')}>
              <ActionForm action={updateMailboxExpiry} submitLabel={t('common.save')} resetOnSuccess={false} testId="mailbox-expiry">
                <input type="hidden" name="id" value={m.id} />
                <Field name="expiresOn" label={t('mailboxes.expiresOn')} type="date" defaultValue={m.expiresAt.toISOString().slice(0, 10)} />
              </ActionForm>
            </Card>
          </div>
        </div>
      </div>
    </>
  );
}

/**
 * The mailbox holder's own mailbox: address, status, expiry, storage used, renewal mode and how to
 * renew, the password change, and the latest entries of its audit trail. Anyone who holds no
 * mailbox gets a 404 (the page and the action both ask the permission layer).
 */
import Link from 'next/link';
import type { ReactNode } from 'react';
import { notFound } from 'next/navigation';
import { getPrisma } from '@/lib/db';
import { formatDate, formatDateTime } from '@/lib/i18n';
import { auditActionName } from '@/lib/i18n/audit-actions';
import { getTranslator } from '@/lib/i18n/server';
import { minPasswordLength } from '@/lib/auth/password-policy';
import { mebibyte } from '@/lib/mailboxes/holder';
import { searchAuditEvents } from '@/lib/queries/audit-events';
import { getOwnMailbox, renewalContact } from '@/lib/queries/holder';
import { requireActor } from '@/lib/session';
import { ActionForm, PasswordChangeFields } from '@/app/components/action-form';
import { Card, EmptyState, PageHeader } from '@/app/components/ui';
import { MailboxStatusBadge } from '../mailboxes/status-badge';
import { changeOwnMailboxPassword } from './actions';

export const dynamic = 'force-dynamic';

const dayMs = 86_400_000;

export default async function MyMailboxPage() {
  const actor = await requireActor();
  const db = getPrisma();
  const m = await getOwnMailbox(db, actor);
  if (!m) notFound();
  const { locale, t } = await getTranslator();
  const activity = await searchAuditEvents(db, actor, { limit: 5 });

  const days = Math.ceil((m.expiresAt.getTime() - Date.now()) / dayMs);
  const used = Number(m.usedBytes / mebibyte);
  const total = Number(m.quotaBytes / mebibyte);
  const percent =
    total > 0 ? Math.min(100, Math.round((Number(m.usedBytes) / Number(m.quotaBytes)) * 100)) : 0;
  const contact = renewalContact(m);
  const expiry = formatDate(locale, m.expiresAt);
  const row = (label: string, value: ReactNode, testId?: string) => (
    <div className="grid grid-cols-3 gap-2 py-2">
      <dt className="text-slate-500">{label}</dt>
      <dd className="col-span-2 break-words text-slate-900" data-testid={testId}>
        {value}
      </dd>
    </div>
  );

  return (
    <>
      <PageHeader
        title={t('holder.title')}
        subtitle={t('holder.subtitle')}
        actions={
          <Link
            href="/my-mailbox/history"
            className="inline-flex items-center rounded-md bg-blue-700 px-4 py-2 text-sm font-medium text-white hover:bg-blue-800"
            data-testid="history-link"
          >
            {t('holder.historyOpen')}
          </Link>
        }
      />
      {m.status === 'EXPIRED' || m.status === 'SUSPENDED' ? (
        <div
          role="alert"
          className="mb-6 rounded-lg border border-amber-300 bg-amber-50 px-4 py-3 text-sm text-amber-900"
          data-testid="mailbox-notice"
        >
          {m.status === 'EXPIRED'
            ? t('holder.expiredNotice')
            : t('holder.suspendedNotice', { organization: contact.name })}
        </div>
      ) : null}
      <div className="grid gap-6 lg:grid-cols-2">
        <div className="space-y-6">
          <Card>
            <p className="break-all font-mono text-lg text-slate-900" data-testid="own-address">
              {m.address}
            </p>
            <dl className="mt-3 divide-y divide-slate-100 text-sm">
              {row(t('holder.holderName'), [m.holderName, m.holderSurname].filter(Boolean).join(' '))}
              {row(
                t('holder.status'),
                <MailboxStatusBadge status={m.status} label={t(`mailboxes.statuses.${m.status}`)} />,
                'own-status',
              )}
              {row(
                t('holder.expiry'),
                <>
                  {expiry}{' '}
                  <span className={days <= 30 ? 'text-amber-700' : 'text-slate-500'}>
                    ({days >= 0 ? t('holder.expiresIn', { days }) : t('holder.expiredSince', { days: -days })}
                    )
                  </span>
                </>,
                'own-expiry',
              )}
              {row(
                t('holder.quota'),
                <>
                  <span data-testid="own-quota">{t('holder.quotaOf', { used, total, percent })}</span>
                  <span
                    className="mt-1.5 block h-2 w-full overflow-hidden rounded-full bg-slate-100"
                    aria-hidden
                  >
                    <span
                      className={`block h-full rounded-full ${percent >= 90 ? 'bg-red-500' : 'bg-blue-600'}`}
                      style={{ width: `${percent}%` }}
                    />
                  </span>
                </>,
              )}
              {row(t('holder.renewal'), t(`holder.renewalModes.${m.renewalMode}`), 'own-renewal')}
              {row(t('holder.managedBy'), contact.name)}
            </dl>
          </Card>
          <Card title={t('holder.howToRenew')}>
            <p className="text-sm text-slate-700" data-testid="how-to-renew">
              {m.renewalMode === 'AUTOMATIC'
                ? t('holder.renewAutomatic', { date: expiry })
                : t('holder.renewManual', { organization: contact.name, date: expiry })}
            </p>
            {contact.email ? (
              <p className="mt-2 text-sm text-slate-600">
                {t('holder.renewContact', { email: contact.email })}
              </p>
            ) : null}
          </Card>
        </div>
        <div className="space-y-6">
          <Card title={t('holder.passwordTitle')}>
            <p className="mb-4 text-sm text-slate-600">{t('holder.passwordHelp')}</p>
            <ActionForm
              action={changeOwnMailboxPassword}
              submitLabel={t('common.save')}
              testId="change-mailbox-password"
            >
              <input type="hidden" name="id" value={m.id} />
              <PasswordChangeFields
                currentLabel={t('holder.currentPassword')}
                newLabel={t('holder.newPassword')}
                hint={t('holder.passwordHint').replace('12', String(minPasswordLength))}
              />
            </ActionForm>
          </Card>
          <Card title={t('holder.activityTitle')}>
            {activity.rows.length === 0 ? (
              <EmptyState title={t('holder.activityEmpty')} />
            ) : (
              <ul className="divide-y divide-slate-100" data-testid="own-activity">
                {activity.rows.map((e) => (
                  <li
                    key={e.id}
                    className="flex flex-col gap-0.5 py-2 text-sm sm:flex-row sm:items-center sm:justify-between"
                  >
                    <span className="font-medium text-slate-900">{auditActionName(locale, e.action)}</span>
                    <span className="text-xs text-slate-500">{formatDateTime(locale, e.occurredAt)}</span>
                  </li>
                ))}
              </ul>
            )}
            <Link href="/audit" className="mt-3 inline-block text-sm text-blue-800 hover:underline">
              {t('holder.activityAll')} →
            </Link>
          </Card>
        </div>
      </div>
    </>
  );
}

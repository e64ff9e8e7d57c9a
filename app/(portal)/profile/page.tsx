/** Profile & security: password change, TOTP enrolment/disable, recovery codes. Also the set-up page. */
import { getPrisma } from '@/lib/db';
import { formatDate } from '@/lib/i18n';
import { getTranslator } from '@/lib/i18n/server';
import { minPasswordLength } from '@/lib/auth/password-policy';
import { requireUser } from '@/lib/session';
import { ActionForm, Field, PasswordChangeFields } from '@/app/components/action-form';
import { Card, PageHeader } from '@/app/components/ui';
import { changePassword, disableTotp } from './actions';
import { TotpPanel } from './totp-panel';

export const dynamic = 'force-dynamic';

export default async function ProfilePage() {
  const current = await requireUser({ duringSetup: true });
  const { locale, t } = await getTranslator();
  const user = await getPrisma().user.findUniqueOrThrow({
    where: { id: current.actor.userId },
    include: { organization: true },
  });

  return (
    <>
      <PageHeader title={t('profile.title')} subtitle={`${user.email} · ${t(`roles.${user.role}`)}`} />
      {current.setupRequired.length > 0 ? (
        <div
          role="alert"
          className="mb-6 rounded-lg border border-amber-300 bg-amber-50 px-4 py-3 text-sm text-amber-900"
          data-testid="setup-required"
        >
          {current.setupRequired.includes('password') ? <p>{t('profile.mustChangePassword')}</p> : null}
          {current.setupRequired.includes('totp') ? <p>{t('profile.mustEnrolTotp')}</p> : null}
        </div>
      ) : null}
      <div className="grid gap-6 lg:grid-cols-2">
        <Card title={t('profile.passwordTitle')}>
          <ActionForm action={changePassword} submitLabel={t('common.save')} testId="change-password">
            <PasswordChangeFields
              currentLabel={t('profile.currentPassword')}
              newLabel={t('profile.newPassword')}
              hint={t('profile.passwordHint').replace('12', String(minPasswordLength))}
            />
          </ActionForm>
        </Card>
        <Card title={t('profile.totpTitle')}>
          <p className="mb-4 text-sm text-slate-600" data-testid="totp-state">
            {user.totpEnabledAt
              ? t('profile.totpOn', { date: formatDate(locale, user.totpEnabledAt) })
              : t('profile.totpOff')}
          </p>
          {user.totpEnabledAt ? (
            <p className="mb-4 text-sm text-slate-600">
              {t('profile.recoveryLeft', { count: user.recoveryCodeHashes.length })}
            </p>
          ) : null}
          <TotpPanel
            enabled={user.totpEnabledAt !== null}
            labels={{
              start: t('profile.totpStart'),
              scan: t('profile.totpScan'),
              confirm: t('profile.totpConfirm'),
              code: t('common.confirm'),
              recoveryShown: t('profile.recoveryShown'),
              regenerate: t('profile.recoveryRegenerate'),
              done: t('nav.dashboard'),
            }}
          />
          {user.totpEnabledAt &&
          !(
            user.organization.requireTotpForAdmins &&
            current.actor.role !== 'MAILBOX_HOLDER' &&
            current.actor.role !== 'AUDITOR'
          ) ? (
            <div className="mt-6 border-t border-slate-100 pt-4">
              <ActionForm
                action={disableTotp}
                submitLabel={t('profile.totpDisable')}
                submitVariant="danger"
                testId="disable-totp"
              >
                <Field
                  name="currentPassword"
                  label={t('profile.currentPassword')}
                  type="password"
                  autoComplete="current-password"
                  required
                />
              </ActionForm>
            </div>
          ) : null}
        </Card>
      </div>
    </>
  );
}

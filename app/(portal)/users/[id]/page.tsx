/** One portal user: details, and for users below the actor, password reset and disable/enable. */
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { getPrisma } from '@/lib/db';
import { formatDateTime } from '@/lib/i18n';
import { getTranslator } from '@/lib/i18n/server';
import { canManageUser, canViewUser } from '@/lib/permissions';
import { getUserForActor } from '@/lib/queries/users';
import { requireActor } from '@/lib/session';
import { ActionForm } from '@/app/components/action-form';
import { Badge, Card, PageHeader } from '@/app/components/ui';
import { resetUserPassword, setUserDisabled } from '../actions';

export const dynamic = 'force-dynamic';

export default async function UserPage({ params }: { params: Promise<{ id: string }> }) {
  const actor = await requireActor();
  const { id } = await params;
  const db = getPrisma();
  const user = await getUserForActor(db, actor, id);
  if (!user || !canViewUser(actor, user)) notFound();
  const { locale, t } = await getTranslator();
  const org = await db.organization.findUnique({ where: { id: user.organizationId }, select: { name: true } });
  const manageable = canManageUser(actor, user);

  return (
    <>
      <PageHeader
        title={user.displayName ?? user.email}
        subtitle={`${t(`roles.${user.role}`)} · ${org?.name ?? ''}`}
        actions={<Link href="/users" className="text-sm text-blue-800 hover:underline">← {t('users.title')}</Link>}
      />
      <div className="grid gap-6 lg:grid-cols-2">
        <Card title={t('common.details')}>
          <dl className="space-y-3 text-sm">
            <div><dt className="text-slate-500">{t('common.email')}</dt><dd className="font-mono">{user.email}</dd></div>
            <div><dt className="text-slate-500">{t('users.lastLogin')}</dt><dd>{user.lastLoginAt ? `${formatDateTime(locale, user.lastLoginAt)} · ${user.lastLoginIp ?? ''}` : t('common.never')}</dd></div>
            <div className="flex flex-wrap gap-2">
              {user.disabled ? <Badge tone="red">{t('common.disabled')}</Badge> : <Badge tone="green">{t('common.active')}</Badge>}
              {user.totpEnabledAt ? <Badge tone="green">{t('users.totp')}</Badge> : null}
            </div>
          </dl>
        </Card>
        {manageable ? (
          <Card title={t('common.actions')}>
            <div className="space-y-6">
              <ActionForm action={resetUserPassword} submitLabel={t('users.resetPassword')} keepMessage submitVariant="secondary" testId="reset-password">
                <input type="hidden" name="id" value={user.id} />
              </ActionForm>
              <ActionForm
                action={setUserDisabled}
                submitLabel={user.disabled ? t('users.enable') : t('users.disable')}
                submitVariant={user.disabled ? 'secondary' : 'danger'}
                testId="set-disabled"
              >
                <input type="hidden" name="id" value={user.id} />
                <input type="hidden" name="disabled" value={user.disabled ? 'false' : 'true'} />
              </ActionForm>
            </div>
          </Card>
        ) : null}
      </div>
    </>
  );
}

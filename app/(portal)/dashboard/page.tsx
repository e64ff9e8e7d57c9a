/** Dashboard: real counts in the actor's scope, the holder's own mailbox, and recent activity. */
import Link from 'next/link';
import { getPrisma } from '@/lib/db';
import { formatDate, formatDateTime } from '@/lib/i18n';
import { getTranslator } from '@/lib/i18n/server';
import { canViewAuditTrail } from '@/lib/permissions';
import { dashboardFigures } from '@/lib/queries/dashboard';
import { searchAuditEvents } from '@/lib/queries/audit-events';
import { requireUser } from '@/lib/session';
import { Badge, Card, EmptyState, PageHeader } from '@/app/components/ui';

export const dynamic = 'force-dynamic';

function Figure({ label, value, note, href, testId }: { label: string; value: number; note?: string; href?: string; testId: string }) {
  const body = (
    <div className="rounded-xl border border-slate-200 bg-white p-5 shadow-sm transition hover:border-blue-300">
      <p className="text-sm font-medium text-slate-500">{label}</p>
      <p className="mt-2 text-3xl font-semibold tabular-nums text-slate-900" data-testid={testId}>
        {value.toLocaleString('it-IT')}
      </p>
      {note ? <p className="mt-1 text-xs text-slate-500">{note}</p> : null}
    </div>
  );
  return href ? <Link href={href}>{body}</Link> : body;
}

export default async function DashboardPage() {
  const { actor, displayName, organizationName } = await requireUser();
  const { locale, t } = await getTranslator();
  const db = getPrisma();
  const figures = await dashboardFigures(db, actor);
  const recent = canViewAuditTrail(actor) ? await searchAuditEvents(db, actor, { limit: 6 }) : undefined;
  const mailbox = actor.mailboxId ? await db.mailbox.findUnique({ where: { id: actor.mailboxId } }) : null;
  const showOrgs = actor.role === 'PROVIDER_ADMIN' || actor.role === 'RESELLER_ADMIN';

  return (
    <>
      <PageHeader
        title={t('dashboard.welcome', { name: displayName })}
        subtitle={t('dashboard.scope', { scope: actor.scope === 'all' ? t('dashboard.scopeAll') : organizationName })}
      />
      {mailbox ? (
        <Card title={t('dashboard.myMailbox')} className="mb-6">
          <div className="flex flex-wrap items-center gap-3">
            <span className="font-mono text-base">{mailbox.address}</span>
            <Badge tone={mailbox.status === 'ACTIVE' ? 'green' : 'amber'}>{mailbox.status}</Badge>
            <span className="text-sm text-slate-600">{t('dashboard.expiresOn', { date: formatDate(locale, mailbox.expiresAt) })}</span>
          </div>
        </Card>
      ) : null}
      {actor.role !== 'MAILBOX_HOLDER' ? (
        <div className="grid grid-cols-1 gap-4 sm:grid-cols-2 xl:grid-cols-4">
          {showOrgs && actor.role === 'PROVIDER_ADMIN' ? (
            <Figure label={t('dashboard.resellers')} value={figures.resellers} href="/organizations?kind=RESELLER" testId="figure-resellers" />
          ) : null}
          {showOrgs ? (
            <Figure label={t('dashboard.companies')} value={figures.companies} href="/organizations?kind=COMPANY" testId="figure-companies" />
          ) : null}
          <Figure label={t('dashboard.domains')} value={figures.domains} testId="figure-domains" />
          <Figure
            label={t('dashboard.mailboxes')}
            value={figures.mailboxes}
            note={`${figures.activeMailboxes.toLocaleString('it-IT')} ${t('dashboard.activeMailboxes')} · ${figures.expiringMailboxes.toLocaleString('it-IT')} ${t('dashboard.expiringMailboxes')}`}
            testId="figure-mailboxes"
          />
          {actor.role === 'PROVIDER_ADMIN' || actor.mayApproveActivations ? (
            <Figure label={t('dashboard.pendingRequests')} value={figures.pendingRequests} testId="figure-requests" />
          ) : null}
        </div>
      ) : null}
      {recent ? (
        <Card title={t('dashboard.recentActivity')} className="mt-6">
          {recent.rows.length === 0 ? (
            <EmptyState title={t('dashboard.noActivity')} />
          ) : (
            <ul className="divide-y divide-slate-100">
              {recent.rows.map((e) => (
                <li key={e.id} className="flex flex-col gap-1 py-2.5 text-sm sm:flex-row sm:items-center sm:justify-between">
                  <span>
                    <span className="font-mono text-xs text-blue-800">{e.action}</span>
                    <span className="ml-2 text-slate-600">{e.actorEmail ?? '—'}</span>
                  </span>
                  <span className="text-xs text-slate-500">{formatDateTime(locale, e.occurredAt)}</span>
                </li>
              ))}
            </ul>
          )}
        </Card>
      ) : null}
    </>
  );
}

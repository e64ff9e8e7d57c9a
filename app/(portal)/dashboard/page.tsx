/** Dashboard: real counts in the actor's scope, the holder's own mailbox, and recent activity. */
import Link from 'next/link';
import { getPrisma } from '@/lib/db';
import { formatDate, formatDateTime } from '@/lib/i18n';
import { auditActionName } from '@/lib/i18n/audit-actions';
import { getTranslator } from '@/lib/i18n/server';
import { canViewAuditTrail } from '@/lib/permissions';
import { dashboardFigures } from '@/lib/queries/dashboard';
import { searchAuditEvents } from '@/lib/queries/audit-events';
import { requireUser } from '@/lib/session';
import { Badge, Card, EmptyState, PageHeader } from '@/app/components/ui';
import { MtaStatePanel } from './mta-state';

export const dynamic = 'force-dynamic';

const icons = {
  reseller: 'M3 21h18M5 21V7l7-4 7 4v14M9 9h.01M15 9h.01M9 13h.01M15 13h.01M10 21v-4h4v4',
  company: 'M4 21V5a1 1 0 011-1h9a1 1 0 011 1v16M15 9h4a1 1 0 011 1v11M8 8h3M8 12h3M8 16h3M3 21h18',
  domain: 'M12 21a9 9 0 100-18 9 9 0 000 18zM3.6 9h16.8M3.6 15h16.8M12 3a14 14 0 010 18M12 3a14 14 0 000 18',
  mailbox: 'M3 7l9 6 9-6M4 5h16a1 1 0 011 1v12a1 1 0 01-1 1H4a1 1 0 01-1-1V6a1 1 0 011-1z',
  request: 'M9 12h6M9 16h6M7 3h7l5 5v12a1 1 0 01-1 1H7a1 1 0 01-1-1V4a1 1 0 011-1z',
};

function Figure({
  label,
  value,
  note,
  href,
  testId,
  icon,
}: {
  label: string;
  value: number;
  note?: string;
  href?: string;
  testId: string;
  icon: keyof typeof icons;
}) {
  const body = (
    <div className="flex h-full flex-col rounded-xl border border-slate-200 bg-white p-5 shadow-sm transition hover:border-blue-300">
      <div className="flex items-center justify-between">
        <p className="text-sm font-medium text-slate-500">{label}</p>
        <span className="flex h-9 w-9 items-center justify-center rounded-lg bg-blue-50 text-blue-700">
          <svg aria-hidden viewBox="0 0 24 24" className="h-5 w-5" fill="none" stroke="currentColor" strokeWidth="1.6" strokeLinecap="round" strokeLinejoin="round">
            <path d={icons[icon]} />
          </svg>
        </span>
      </div>
      <p className="mt-2 text-3xl font-semibold tabular-nums text-slate-900" data-testid={testId}>
        {value.toLocaleString('it-IT')}
      </p>
      {note ? <p className="mt-1 text-xs text-slate-500">{note}</p> : null}
    </div>
  );
  return href ? (
    <Link href={href} className="block h-full">
      {body}
    </Link>
  ) : (
    body
  );
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
        <div className="grid grid-cols-1 gap-4 sm:grid-cols-[repeat(auto-fit,minmax(11rem,1fr))]">
          {showOrgs && actor.role === 'PROVIDER_ADMIN' ? (
            <Figure label={t('dashboard.resellers')} value={figures.resellers} href="/organizations?kind=RESELLER" testId="figure-resellers" icon="reseller" />
          ) : null}
          {showOrgs ? (
            <Figure label={t('dashboard.companies')} value={figures.companies} href="/organizations?kind=COMPANY" testId="figure-companies" icon="company" />
          ) : null}
          <Figure label={t('dashboard.domains')} value={figures.domains} testId="figure-domains" icon="domain" />
          <Figure
            label={t('dashboard.mailboxes')}
            value={figures.mailboxes}
            note={`${figures.activeMailboxes.toLocaleString('it-IT')} ${t('dashboard.activeMailboxes')} · ${figures.expiringMailboxes.toLocaleString('it-IT')} ${t('dashboard.expiringMailboxes')}`}
            testId="figure-mailboxes"
            icon="mailbox"
          />
          {actor.role === 'PROVIDER_ADMIN' || actor.mayApproveActivations ? (
            <Figure label={t('dashboard.pendingRequests')} value={figures.pendingRequests} testId="figure-requests" icon="request" />
          ) : null}
        </div>
      ) : null}
      <MtaStatePanel actor={actor} locale={locale} />
      {recent ? (
        <Card title={t('dashboard.recentActivity')} className="mt-6">
          {recent.rows.length === 0 ? (
            <EmptyState title={t('dashboard.noActivity')} />
          ) : (
            <ul className="divide-y divide-slate-100">
              {recent.rows.map((e) => (
                <li key={e.id} className="flex flex-col gap-1 py-2.5 text-sm sm:flex-row sm:items-center sm:justify-between">
                  <span>
                    <span className="font-medium text-slate-900">{auditActionName(locale, e.action)}</span>
                    <span className="ml-2 text-slate-500">{e.actorEmail ?? '—'}</span>
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

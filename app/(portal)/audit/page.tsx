/**
 * The audit trail: provider admins search everything (by actor, action, object, time range),
 * auditors their scope, holders read what happened to their own mailbox and account.
 * Keyset pagination (?after=<cursor>) keeps deep pages as fast as the first.
 */
import { notFound } from 'next/navigation';
import { getPrisma } from '@/lib/db';
import { formatDateTime } from '@/lib/i18n';
import { auditActionName } from '@/lib/i18n/audit-actions';
import { getTranslator } from '@/lib/i18n/server';
import { canSearchAuditTrailByActor, canViewAuditTrail } from '@/lib/permissions';
import { searchAuditEvents } from '@/lib/queries/audit-events';
import { requireActor } from '@/lib/session';
import { KeysetPagination, PageHeader, ResultsTable } from '@/app/components/ui';

export const dynamic = 'force-dynamic';

/** yyyy-mm-dd from a date input → that day's UTC bounds (Italian midnight is 1–2 h earlier; fine for a filter). */
function parseDay(value: string | undefined, endOfDay = false): Date | undefined {
  if (!value || !/^\d{4}-\d{2}-\d{2}$/.test(value)) return undefined;
  const d = new Date(`${value}T00:00:00Z`);
  if (Number.isNaN(d.getTime())) return undefined;
  return endOfDay ? new Date(d.getTime() + 86_400_000) : d;
}

/** Field-level differences between before and after (top-level keys), the raw JSON one click away. */
function changedFields(before: unknown, after: unknown): { key: string; from: string; to: string }[] {
  const asRecord = (v: unknown) => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
  const b = asRecord(before);
  const a = asRecord(after);
  const show = (v: unknown) => (v === undefined || v === null ? '—' : typeof v === 'object' ? JSON.stringify(v) : String(v));
  const skip = new Set(['updatedAt', 'createdAt', 'id']);
  return [...new Set([...Object.keys(b), ...Object.keys(a)])]
    .filter((k) => !skip.has(k) && JSON.stringify(b[k]) !== JSON.stringify(a[k]))
    .map((k) => ({ key: k, from: show(b[k]), to: show(a[k]) }));
}

function Changes({ before, after }: { before: unknown; after: unknown }) {
  if (before == null && after == null) return <span className="text-slate-400">—</span>;
  const diff = changedFields(before, after).slice(0, 4);
  return (
    <div className="text-xs">
      {diff.length > 0 ? (
        <ul className="space-y-0.5 text-slate-700">
          {diff.map((d) => (
            <li key={d.key} className="max-w-xs truncate">
              <span className="font-medium">{d.key}</span>: <span className="text-slate-500">{d.from}</span> → {d.to}
            </li>
          ))}
        </ul>
      ) : null}
      <details>
        <summary className="cursor-pointer text-blue-800">JSON</summary>
        <pre className="mt-1 max-w-md overflow-x-auto whitespace-pre-wrap break-all rounded bg-slate-50 p-2 text-[11px] text-slate-700">
          {JSON.stringify({ before, after }, null, 1)}
        </pre>
      </details>
    </div>
  );
}

export default async function AuditPage({ searchParams }: { searchParams: Promise<Record<string, string | undefined>> }) {
  const actor = await requireActor();
  if (!canViewAuditTrail(actor)) notFound();
  const { locale, t } = await getTranslator();
  const params = await searchParams;
  const byActor = canSearchAuditTrailByActor(actor);
  const result = await searchAuditEvents(getPrisma(), actor, {
    actor: byActor ? params.actor : undefined,
    action: params.action,
    entityType: params.entityType,
    entityId: params.entityId,
    from: parseDay(params.from),
    to: parseDay(params.to, true),
    after: params.after,
    limit: 50,
  });
  const filters = Object.fromEntries(Object.entries(params).filter(([k, v]) => v && k !== 'after')) as Record<string, string>;
  const input = 'block w-full rounded-md border border-slate-300 px-3 py-2 text-sm shadow-sm focus:border-blue-500 focus:outline-none focus:ring-2 focus:ring-blue-200';

  return (
    <>
      <PageHeader
        title={t('audit.title')}
        subtitle={actor.role === 'MAILBOX_HOLDER' ? t('audit.holderSubtitle') : t('audit.subtitle')}
      />
      {actor.role !== 'MAILBOX_HOLDER' ? (
        <form method="get" className="mb-4 grid grid-cols-1 gap-3 rounded-xl border border-slate-200 bg-white p-4 shadow-sm sm:grid-cols-2 lg:grid-cols-6" data-testid="audit-filters">
          {byActor ? (
            <label className="text-xs font-medium text-slate-600">{t('audit.actor')}<input name="actor" defaultValue={params.actor} className={input} /></label>
          ) : null}
          <label className="text-xs font-medium text-slate-600">{t('audit.action')}<input name="action" defaultValue={params.action} placeholder="user." className={input} /></label>
          <label className="text-xs font-medium text-slate-600">{t('audit.entity')}<input name="entityType" defaultValue={params.entityType} placeholder="Mailbox" className={input} /></label>
          <label className="text-xs font-medium text-slate-600">{t('audit.entityId')}<input name="entityId" defaultValue={params.entityId} className={input} /></label>
          <label className="text-xs font-medium text-slate-600">{t('audit.from')}<input type="date" name="from" defaultValue={params.from} className={input} /></label>
          <label className="text-xs font-medium text-slate-600">{t('audit.to')}<input type="date" name="to" defaultValue={params.to} className={input} /></label>
          <div className="flex items-end sm:col-span-2 lg:col-span-6">
            <button type="submit" className="rounded-md bg-slate-800 px-4 py-2 text-sm font-medium text-white hover:bg-slate-900">{t('common.search')}</button>
          </div>
        </form>
      ) : null}
      <ResultsTable
        isEmpty={result.rows.length === 0}
        empty={{ title: t('audit.empty') }}
        testId="audit-table"
        columns={[
          { label: t('audit.when'), className: 'px-5 py-2 font-medium' },
          { label: t('audit.actor'), className: 'px-3 py-2 font-medium' },
          { label: t('audit.action'), className: 'px-3 py-2 font-medium' },
          { label: t('audit.entity'), className: 'hidden px-3 py-2 font-medium md:table-cell' },
          { label: t('audit.ip'), className: 'hidden px-3 py-2 font-medium lg:table-cell' },
          { label: t('audit.changes'), className: 'px-5 py-2 font-medium' },
        ]}
        alignTop
        pager={
          <KeysetPagination
            // the audit trail pages forward only: older, and back to the newest
            older={result.next ? `/audit?${new URLSearchParams({ ...filters, after: result.next })}` : undefined}
            newest={params.after ? `/audit?${new URLSearchParams(filters)}` : undefined}
            labels={{ older: `${t('audit.more')} →`, newest: t('audit.first') }}
            testIds={{ older: 'audit-next' }}
          />
        }
      >
        {result.rows.map((e) => (
          <tr key={e.id}>
            <td className="whitespace-nowrap px-5 py-2.5 text-slate-600">{formatDateTime(locale, e.occurredAt)}</td>
            <td className="px-3 py-2.5">{e.actorEmail ?? '—'}</td>
            <td className="px-3 py-2.5">
              <span className="text-slate-900">{auditActionName(locale, e.action)}</span>
              <span className="block font-mono text-[11px] text-slate-400">{e.action}</span>
            </td>
            <td className="hidden px-3 py-2.5 text-xs text-slate-600 md:table-cell">
              {e.entityType ?? '—'}
              {e.entityId ? <span className="block font-mono text-[11px] text-slate-400">{e.entityId}</span> : null}
            </td>
            <td className="hidden px-3 py-2.5 font-mono text-xs text-slate-600 lg:table-cell">{e.ip ?? '—'}</td>
            <td className="px-5 py-2.5"><Changes before={e.before} after={e.after} /></td>
          </tr>
        ))}
      </ResultsTable>
    </>
  );
}

/**
 * Auditor search of the transmission log (log dei messaggi): filters in the URL, results newest
 * first with keyset "newer/older" links, each message opening its timeline, and the CSV export
 * of the whole result. Rows are bounded by the actor's scope in SQL (lib/transmission-log/scope.ts);
 * every search run is written to the audit trail.
 */
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { recordAuditEvent } from '@/lib/audit/record';
import { getPrisma } from '@/lib/db';
import { formatDateTime, type MessageKey } from '@/lib/i18n';
import { getTranslator } from '@/lib/i18n/server';
import { canSearchLogs } from '@/lib/permissions';
import { encodeLogCursor, maxSearchMonths, searchTransmissionLog, type LogPage } from '@/lib/queries/transmission-log';
import { logScopeForActor } from '@/lib/transmission-log/scope';
import {
  auditedSearch,
  eventKindOf as kindOf,
  eventKinds,
  outcomes,
  parseLogSearch,
  searchQuery,
} from '@/lib/transmission-log/search-params';
import { requestContext, requireActor } from '@/lib/session';
import { Badge, KeysetPagination, PageHeader, ResultsTable } from '@/app/components/ui';
import { FiltersForm } from './filters-form';
import { outcomeTone } from './outcome-tone';

export const dynamic = 'force-dynamic';

export default async function LogSearchPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const actor = await requireActor();
  if (!canSearchLogs(actor)) notFound();
  const { locale, t } = await getTranslator();
  const db = getPrisma();
  const parsed = parseLogSearch(await searchParams);
  const scope = await logScopeForActor(actor, db);

  let page: LogPage | undefined;
  if (parsed.filters) {
    page = await searchTransmissionLog(parsed.filters, scope, { limit: 50, after: parsed.after, before: parsed.before }, db);
    await recordAuditEvent(
      db,
      { actorUserId: actor.userId, actorEmail: actor.email, actorRole: actor.role, ...(await requestContext()) },
      {
        action: 'log.search',
        entityType: 'TransmissionLog',
        after: { ...auditedSearch(parsed.values), results: page.entries.length, paged: Boolean(parsed.after || parsed.before) },
        organizationId: actor.organizationId,
      },
    );
  }

  const errorText = Object.fromEntries(Object.entries(parsed.errors).map(([f, key]) => [f, t(key)]));
  const query = searchQuery(parsed.values);

  return (
    <>
      <PageHeader
        title={t('logs.title')}
        subtitle={t('logs.subtitle')}
        actions={
          page ? (
            <a
              href={`/log/export?${query}`}
              className="inline-flex items-center gap-2 rounded-md bg-blue-700 px-4 py-2 text-sm font-medium text-white hover:bg-blue-800"
              title={t('logs.exportHint')}
              data-testid="log-export"
              download
            >
              {t('logs.export')}
            </a>
          ) : null
        }
      />
      <p className="-mt-4 mb-4 text-xs text-slate-500" data-testid="log-scope">
        {scope.all
          ? t('logs.scopeAll')
          : t('logs.scopeRestricted', { domains: scope.domains.length, addresses: scope.addresses.length })}
      </p>
      <FiltersForm
        values={parsed.values}
        errors={errorText}
        labels={{
          from: t('logs.from'),
          to: t('logs.to'),
          sender: t('logs.sender'),
          recipient: t('logs.recipient'),
          messageId: t('logs.messageId'),
          kind: t('logs.kind'),
          outcome: t('logs.outcome'),
          domain: t('logs.domain'),
          any: t('logs.any'),
          search: t('logs.search'),
          reset: t('logs.reset'),
        }}
        messages={{
          date: t('logs.errors.date'),
          order: t('logs.errors.order'),
          tooLong: t('logs.errors.tooLong'),
          address: t('logs.errors.address'),
          domain: t('logs.errors.domain'),
          messageId: t('logs.errors.messageId'),
        }}
        kinds={Object.keys(eventKinds).map((k) => [k, t(`logs.kinds.${k}` as MessageKey)])}
        outcomes={outcomes.map((o) => [o, t(`logs.outcomes.${o}`)])}
        maxMonths={maxSearchMonths}
      />
      <ResultsTable
        isEmpty={!page || page.entries.length === 0}
        empty={page ? { title: t('logs.empty'), hint: t('logs.emptyHint') } : { title: t('logs.invalid') }}
        testId="log-table"
        columns={[
          { label: t('logs.when'), className: 'px-5 py-2 font-medium' },
          { label: t('logs.event'), className: 'px-3 py-2 font-medium' },
          { label: t('logs.sender'), className: 'px-3 py-2 font-medium' },
          { label: t('logs.recipient'), className: 'px-3 py-2 font-medium' },
          { label: t('logs.message'), className: 'hidden px-5 py-2 font-medium md:table-cell' },
        ]}
        alignTop
        pager={
          page && (page.newer || page.older) ? (
            <KeysetPagination
              newer={page.newer && `/log?${searchQuery(parsed.values, { before: encodeLogCursor(page.newer) })}`}
              older={page.older && `/log?${searchQuery(parsed.values, { after: encodeLogCursor(page.older) })}`}
              newest={parsed.after || parsed.before ? `/log?${query}` : undefined}
              labels={{ newer: t('logs.newer'), older: t('logs.older'), newest: t('logs.newest') }}
              testIds={{ newer: 'log-newer', older: 'log-older' }}
            />
          ) : null
        }
      >
        {page?.entries.map((e) => {
          const ref = e.identificativo ?? e.originalMessageId;
          return (
            <tr key={e.id.toString()} data-testid="log-row">
              <td className="whitespace-nowrap px-5 py-2.5 text-slate-600">{formatDateTime(locale, e.occurredAt)}</td>
              <td className="px-3 py-2.5">
                {kindOf(e.eventType) ? (
                  <span className="block text-slate-900">{t(`logs.kinds.${kindOf(e.eventType)}`)}</span>
                ) : null}
                <span className="block font-mono text-[11px] text-slate-500">{e.eventType}</span>
                {e.outcome ? <Badge tone={outcomeTone(e.outcome)}>{e.outcome}</Badge> : null}
              </td>
              <td className="break-all px-3 py-2.5">{e.sender ?? '—'}</td>
              <td className="break-all px-3 py-2.5">{e.recipient ?? '—'}</td>
              <td className="hidden max-w-xs px-5 py-2.5 md:table-cell">
                {ref ? (
                  <Link
                    className="break-all font-mono text-xs text-blue-800 hover:underline"
                    href={`/log/message?${new URLSearchParams({ ref, back: query })}`}
                    data-testid="log-timeline-link"
                  >
                    {ref}
                  </Link>
                ) : (
                  '—'
                )}
              </td>
            </tr>
          );
        })}
      </ResultsTable>
    </>
  );
}

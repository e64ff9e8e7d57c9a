/**
 * The holder's own transmission history: the log rows whose sender or recipient is its address,
 * newest first, over the 30 months kept, with keyset "newer/older" links (?after= / ?before=).
 * The rows are bounded in SQL by the holder's log scope (its own address), never filtered here.
 */
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { getPrisma } from '@/lib/db';
import { formatDateTime } from '@/lib/i18n';
import { getTranslator } from '@/lib/i18n/server';
import { getOwnMailbox, ownTransmissionHistory } from '@/lib/queries/holder';
import { decodeLogCursor, encodeLogCursor } from '@/lib/queries/transmission-log';
import { eventKindOf, outcomes } from '@/lib/transmission-log/search-params';
import { requireActor } from '@/lib/session';
import { Badge, KeysetPagination, PageHeader, ResultsTable } from '@/app/components/ui';
import { outcomeTone } from '../../log/outcome-tone';

export const dynamic = 'force-dynamic';

const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

export default async function MyHistoryPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const actor = await requireActor();
  const db = getPrisma();
  const mailbox = await getOwnMailbox(db, actor);
  if (!mailbox) notFound();
  const { locale, t } = await getTranslator();
  const params = await searchParams;
  const afterToken = first(params.after);
  const beforeToken = first(params.before);
  const after = afterToken ? decodeLogCursor(afterToken) : undefined;
  const before = !after && beforeToken ? decodeLogCursor(beforeToken) : undefined;
  const page = await ownTransmissionHistory(db, actor, { after, before, limit: 50 });
  const own = mailbox.address;

  return (
    <>
      <Link href="/my-mailbox" className="text-sm text-blue-800 hover:underline">← {t('holder.title')}</Link>
      <PageHeader title={t('holder.historyTitle')} subtitle={`${own} · ${t('holder.historySubtitle')}`} />
      <ResultsTable
        isEmpty={page.entries.length === 0}
        empty={{ title: t('holder.historyEmpty') }}
        testId="history-table"
        columns={[
          { label: t('logs.when'), className: 'px-5 py-2 font-medium' },
          { label: t('logs.event'), className: 'px-3 py-2 font-medium' },
          { label: t('holder.direction'), className: 'px-3 py-2 font-medium' },
          { label: t('holder.counterpart'), className: 'px-3 py-2 font-medium' },
          { label: t('logs.message'), className: 'hidden px-5 py-2 font-medium md:table-cell' },
        ]}
        alignTop
        pager={
          <KeysetPagination
            newer={page.newer && `/my-mailbox/history?before=${encodeLogCursor(page.newer)}`}
            older={page.older && `/my-mailbox/history?after=${encodeLogCursor(page.older)}`}
            newest={after || before ? '/my-mailbox/history' : undefined}
            labels={{ newer: t('logs.newer'), older: t('logs.older'), newest: t('logs.newest') }}
            testIds={{ newer: 'history-newer', older: 'history-older' }}
          />
        }
      >
        {page.entries.map((e) => {
          const sent = e.sender === own;
          const kind = eventKindOf(e.eventType);
          return (
            <tr key={e.id.toString()} data-testid="history-row">
              <td className="whitespace-nowrap px-5 py-2.5 text-slate-600">{formatDateTime(locale, e.occurredAt)}</td>
              <td className="px-3 py-2.5">
                {kind ? <span className="block text-slate-900">{t(`logs.kinds.${kind}`)}</span> : null}
                <span className="block font-mono text-[11px] text-slate-500">{e.eventType}</span>
                {e.outcome ? (
                  <Badge tone={outcomeTone(e.outcome)}>
                    {(outcomes as readonly string[]).includes(e.outcome) ? t(`logs.outcomes.${e.outcome}`) : e.outcome}
                  </Badge>
                ) : null}
              </td>
              <td className="px-3 py-2.5">{sent ? t('holder.sent') : t('holder.received')}</td>
              <td className="break-all px-3 py-2.5">{(sent ? e.recipient : e.sender) ?? '—'}</td>
              <td className="hidden max-w-xs break-all px-5 py-2.5 font-mono text-xs text-slate-600 md:table-cell">
                {e.identificativo ?? e.originalMessageId ?? '—'}
              </td>
            </tr>
          );
        })}
      </ResultsTable>
    </>
  );
}

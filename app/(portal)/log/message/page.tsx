/**
 * One message's timeline (?ref=<identificativo or Message-ID>): per recipient, the chain
 * accettazione → busta → presa in carico → consegna or failure, with its state, then every event.
 * Out of scope or unknown answers 404, like any object of another tenant. Opening it is audited.
 */
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { recordAuditEvent } from '@/lib/audit/record';
import { getPrisma } from '@/lib/db';
import { formatDateTime, type MessageKey } from '@/lib/i18n';
import { getTranslator } from '@/lib/i18n/server';
import { canSearchLogs } from '@/lib/permissions';
import { logScopeForActor } from '@/lib/transmission-log/scope';
import { getMessageTimeline, type RecipientState, type TimelineStep } from '@/lib/transmission-log/timeline';
import { requestContext, requireActor } from '@/lib/session';
import { Badge, Card, PageHeader } from '@/app/components/ui';
import { outcomeTone } from '../outcome-tone';

export const dynamic = 'force-dynamic';

const chain: TimelineStep[] = ['accettazione', 'busta', 'presaInCarico', 'consegna'];

function stateTone(state: RecipientState | 'ACCEPTED' | 'UNKNOWN'): 'green' | 'red' | 'amber' | 'blue' | 'slate' {
  if (state === 'DELIVERED' || state === 'ACCEPTED') return 'green';
  if (state === 'FAILED' || state === 'NOT_ACCEPTED') return 'red';
  if (state === 'UNKNOWN') return 'slate';
  return 'blue';
}

export default async function MessageTimelinePage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const actor = await requireActor();
  if (!canSearchLogs(actor)) notFound();
  const params = await searchParams;
  const ref = (Array.isArray(params.ref) ? params.ref[0] : params.ref)?.trim();
  const back = Array.isArray(params.back) ? params.back[0] : params.back;
  if (!ref || ref.length > 998) notFound();
  const db = getPrisma();
  const timeline = await getMessageTimeline(ref, await logScopeForActor(actor, db), {}, db);
  await recordAuditEvent(
    db,
    { actorUserId: actor.userId, actorEmail: actor.email, actorRole: actor.role, ...(await requestContext()) },
    {
      action: 'log.timeline',
      entityType: 'TransmissionLog',
      entityId: ref.slice(0, 255),
      after: { ref, found: Boolean(timeline) },
      organizationId: actor.organizationId,
    },
  );
  if (!timeline) notFound();
  const { locale, t } = await getTranslator();
  const when = (d: Date) => formatDateTime(locale, d);

  return (
    <>
      <PageHeader
        title={t('logs.tl.title')}
        subtitle={timeline.identificativi[0] ?? ref}
        actions={
          <Link href={`/log${back ? `?${back}` : ''}`} className="text-sm text-blue-800 hover:underline">
            {t('logs.tl.back')}
          </Link>
        }
      />
      <Card className="mb-4">
        <dl className="grid grid-cols-1 gap-3 text-sm sm:grid-cols-2">
          <div>
            <dt className="text-xs font-medium uppercase tracking-wide text-slate-500">{t('logs.tl.identificativo')}</dt>
            <dd className="break-all font-mono text-xs">{timeline.identificativi.join(', ') || '—'}</dd>
          </div>
          <div>
            <dt className="text-xs font-medium uppercase tracking-wide text-slate-500">{t('logs.tl.messageId')}</dt>
            <dd className="break-all font-mono text-xs">{timeline.originalMessageId ?? '—'}</dd>
          </div>
          <div>
            <dt className="text-xs font-medium uppercase tracking-wide text-slate-500">{t('logs.tl.sender')}</dt>
            <dd className="break-all">{timeline.sender ?? '—'}</dd>
          </div>
          <div>
            <dt className="text-xs font-medium uppercase tracking-wide text-slate-500">{t('logs.tl.acceptance')}</dt>
            <dd data-testid="timeline-acceptance">
              <Badge tone={stateTone(timeline.acceptance)}>{t(`logs.tl.states.${timeline.acceptance}`)}</Badge>
            </dd>
          </div>
        </dl>
        {timeline.truncated ? (
          <p className="mt-3 text-xs text-amber-800">{t('logs.tl.truncated', { count: timeline.events.length })}</p>
        ) : null}
      </Card>

      <Card title={t('logs.tl.recipients')} className="mb-4">
        <ul className="space-y-5" data-testid="timeline-recipients">
          {timeline.recipients.map((r) => (
            <li key={r.recipient} data-testid="timeline-recipient">
              <div className="flex flex-wrap items-center gap-2">
                <span className="break-all font-medium text-slate-900">{r.recipient}</span>
                <Badge tone={stateTone(r.state)}>
                  <span data-testid="timeline-state">{t(`logs.tl.states.${r.state}`)}</span>
                </Badge>
                {r.warned ? <Badge tone="amber">{t('logs.tl.steps.preavviso')}</Badge> : null}
              </div>
              <ol className="mt-3 grid grid-cols-1 gap-2 sm:grid-cols-4">
                {chain.map((step) => {
                  const last = step === 'consegna' && !r.steps.consegna && r.steps.errore ? 'errore' : step;
                  const e = r.steps[last];
                  const failed = last === 'errore';
                  return (
                    <li
                      key={step}
                      className={`rounded-lg border px-3 py-2 text-xs ${
                        e ? (failed ? 'border-red-200 bg-red-50' : 'border-emerald-200 bg-emerald-50') : 'border-dashed border-slate-300 text-slate-400'
                      }`}
                    >
                      <span className="block font-semibold">{t(`logs.tl.steps.${last}` as MessageKey)}</span>
                      {e ? <span className="block text-slate-600">{when(e.occurredAt)}</span> : <span>—</span>}
                      {e?.counterpartProvider ? <span className="block text-slate-500">{e.counterpartProvider}</span> : null}
                    </li>
                  );
                })}
              </ol>
            </li>
          ))}
        </ul>
      </Card>

      <Card title={t('logs.tl.allEvents')}>
        <div className="-mx-5 overflow-x-auto">
          <table className="min-w-full text-sm" data-testid="timeline-events">
            <thead className="border-b border-slate-200 text-left text-xs uppercase tracking-wide text-slate-500">
              <tr>
                <th className="px-5 py-2 font-medium">{t('logs.when')}</th>
                <th className="px-3 py-2 font-medium">{t('logs.event')}</th>
                <th className="px-3 py-2 font-medium">{t('logs.recipient')}</th>
                <th className="px-5 py-2 font-medium">{t('logs.outcome')}</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {timeline.events.map((e) => (
                <tr key={e.id.toString()}>
                  <td className="whitespace-nowrap px-5 py-2 text-slate-600">{when(e.occurredAt)}</td>
                  <td className="px-3 py-2 font-mono text-xs text-blue-900">{e.eventType}</td>
                  <td className="break-all px-3 py-2">{e.recipient ?? '—'}</td>
                  <td className="px-5 py-2">{e.outcome ? <Badge tone={outcomeTone(e.outcome)}>{e.outcome}</Badge> : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </Card>
    </>
  );
}

/**
 * The provider admin's view of the MTA: queue, today's traffic (provider time zone), overdue
 * receipts and signing certificate expiry. Renders nothing for any other role: the figures are
 * read through readMtaStateFor, which asks the permission layer.
 */
import { getConfig } from '@/lib/config';
import { getPrisma } from '@/lib/db';
import { formatDate, formatDateTime, type Locale } from '@/lib/i18n';
import { readMtaStateFor } from '@/lib/metrics';
import type { Actor } from '@/lib/permissions';
import { Badge, Card } from '@/app/components/ui';

const messages = {
  it: {
    title: 'Stato del server di posta',
    updated: 'Aggiornato alle {time}; oggi dalle 00:00 ({zone})',
    queue: 'In coda',
    queueNote: '{recipients} destinatari in attesa · {spool} nello spool',
    queueWaiting: '{recipients} destinatari in attesa',
    spoolUnknown: 'spool non leggibile da qui',
    accepted: 'Accettati oggi',
    refused: '{n} non accettati',
    delivered: 'Consegnati oggi',
    failed: 'Mancate consegne oggi',
    anomalies: 'Anomalie oggi',
    overdue: 'Ricevute in ritardo',
    overdueNote: '{h12} oltre 12 h · {h24} oltre 24 h',
    certificate: 'Certificato di firma',
    certificateDays: '{days} giorni',
    certificateUntil: 'scade il {date}',
    certificateExpired: 'scaduto',
    noCertificate: 'nessun certificato attivo',
  },
  en: {
    title: 'Mail server state',
    updated: 'Updated at {time}; today since 00:00 ({zone})',
    queue: 'Queued',
    queueNote: '{recipients} recipients waiting · {spool} in the spool',
    queueWaiting: '{recipients} recipients waiting',
    spoolUnknown: 'spool not readable from here',
    accepted: 'Accepted today',
    refused: '{n} not accepted',
    delivered: 'Delivered today',
    failed: 'Delivery failures today',
    anomalies: 'Anomalies today',
    overdue: 'Overdue receipts',
    overdueNote: '{h12} past 12 h · {h24} past 24 h',
    certificate: 'Signing certificate',
    certificateDays: '{days} days',
    certificateUntil: 'expires on {date}',
    certificateExpired: 'expired',
    noCertificate: 'no active certificate',
  },
} as const;

function fill(text: string, params: Record<string, string | number>): string {
  return text.replace(/\{(\w+)\}/g, (m, name: string) => (name in params ? String(params[name]) : m));
}

function Tile({ label, value, note, tone, testId }: { label: string; value: string; note?: string; tone?: 'red' | 'amber'; testId: string }) {
  const color = tone === 'red' ? 'text-red-700' : tone === 'amber' ? 'text-amber-700' : 'text-slate-900';
  return (
    <div className="rounded-lg border border-slate-200 p-4">
      <p className="text-sm font-medium text-slate-500">{label}</p>
      <p className={`mt-1 text-2xl font-semibold tabular-nums ${color}`} data-testid={testId}>
        {value}
      </p>
      {note ? <p className="mt-1 text-xs text-slate-500">{note}</p> : null}
    </div>
  );
}

export async function MtaStatePanel({ actor, locale }: { actor: Actor; locale: Locale }) {
  const config = getConfig();
  const state = await readMtaStateFor(actor, getPrisma(), { timeZone: config.provider.timeZone, spoolDir: config.spoolDir });
  if (!state) return null;
  const m = messages[locale];
  const n = (v: number) => v.toLocaleString('it-IT');
  const overdue = state.overdue.past12h + state.overdue.past24h;
  const cert = state.signingCertificate;

  return (
    <Card title={m.title} className="mt-6">
      <p className="-mt-2 mb-4 text-xs text-slate-500">
        {fill(m.updated, { time: formatDateTime(locale, state.at), zone: config.provider.timeZone })}
      </p>
      <div className="grid grid-cols-1 gap-3 sm:grid-cols-[repeat(auto-fit,minmax(10rem,1fr))]" data-testid="mta-state">
        <Tile
          label={m.queue}
          value={n(state.queue.total)}
          note={
            state.queue.spoolEntries === null
              ? `${fill(m.queueWaiting, { recipients: n(state.queue.recipientsPending) })} · ${m.spoolUnknown}`
              : fill(m.queueNote, { recipients: n(state.queue.recipientsPending), spool: n(state.queue.spoolEntries) })
          }
          testId="mta-queue"
        />
        <Tile label={m.accepted} value={n(state.today.accepted)} note={fill(m.refused, { n: n(state.today.refused) })} testId="mta-accepted" />
        <Tile label={m.delivered} value={n(state.today.delivered)} testId="mta-delivered" />
        <Tile label={m.failed} value={n(state.today.failed)} tone={state.today.failed > 0 ? 'amber' : undefined} testId="mta-failed" />
        <Tile label={m.anomalies} value={n(state.today.anomalies)} tone={state.today.anomalies > 0 ? 'amber' : undefined} testId="mta-anomalies" />
        <Tile
          label={m.overdue}
          value={n(overdue)}
          note={fill(m.overdueNote, { h12: n(state.overdue.past12h), h24: n(state.overdue.past24h) })}
          tone={state.overdue.past24h > 0 ? 'red' : overdue > 0 ? 'amber' : undefined}
          testId="mta-overdue"
        />
        {cert ? (
          <Tile
            label={m.certificate}
            value={cert.daysLeft < 0 ? m.certificateExpired : fill(m.certificateDays, { days: n(cert.daysLeft) })}
            note={fill(m.certificateUntil, { date: formatDate(locale, cert.notAfter) })}
            tone={cert.daysLeft < 7 ? 'red' : cert.daysLeft < 30 ? 'amber' : undefined}
            testId="mta-certificate"
          />
        ) : (
          <div className="rounded-lg border border-red-200 bg-red-50 p-4" data-testid="mta-certificate">
            <p className="text-sm font-medium text-slate-500">{m.certificate}</p>
            <p className="mt-2">
              <Badge tone="red">{m.noCertificate}</Badge>
            </p>
          </div>
        )}
      </div>
    </Card>
  );
}

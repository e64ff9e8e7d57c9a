/** The MTA state (mta-state.ts) as Prometheus gauges, served by the portal's /metrics. */
import type { MtaState } from './mta-state';
import { PrometheusText } from './prometheus';

export function mtaStateMetrics(state: MtaState, text = new PrometheusText()): PrometheusText {
  text
    .gauge('pec_queue_size', 'Recipients not yet settled plus outbound spool entries.', state.queue.total)
    .gauge('pec_queue_recipients_pending', 'Recipients not yet relayed, or certified and without consegna or failure.', state.queue.recipientsPending);
  if (state.queue.spoolEntries !== null) {
    text.gauge('pec_spool_entries', 'Messages in the outbound spool folder.', state.queue.spoolEntries);
  }
  text
    .gauge(
      'pec_events_today',
      'Transmission-log events since local midnight (provider time zone), by event type.',
      Object.entries(state.today.events).map(([event, value]) => ({ labels: { event: event.toLowerCase() }, value })),
    )
    .gauge('pec_messages_accepted_today', 'Ricevute di accettazione issued since local midnight.', state.today.accepted)
    .gauge('pec_messages_refused_today', 'Ricevute di non accettazione issued since local midnight.', state.today.refused)
    .gauge('pec_messages_delivered_today', 'Deliveries into our mailboxes since local midnight.', state.today.delivered)
    .gauge('pec_messages_failed_today', 'Mancate consegne and 24 h timeouts since local midnight.', state.today.failed)
    .gauge('pec_anomalies_today', 'Messaggi di anomalia since local midnight.', state.today.anomalies)
    .gauge('pec_receipts_overdue', 'Certified recipients past a deadline without receipt.', [
      { labels: { deadline: '12h' }, value: state.overdue.past12h },
      { labels: { deadline: '24h' }, value: state.overdue.past24h },
    ]);
  if (state.signingCertificate) {
    text
      .gauge('pec_signing_certificate_days_left', 'Whole days until the active signing certificate expires.', state.signingCertificate.daysLeft)
      .gauge('pec_signing_certificate_not_after_seconds', 'Expiry of the active signing certificate, Unix time.', Math.floor(state.signingCertificate.notAfter.getTime() / 1000));
  }
  return text;
}

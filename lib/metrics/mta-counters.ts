/**
 * In-process counters of a running MTA, for its /metrics on MTA_STATUS_PORT: transmission-log
 * events by type (accepted, relayed, delivered, anomalies... since the process started), the
 * time spent signing, and the receipt latency (accettazione → consegna back, per recipient). Fed
 * by wrapping the MTA's log writer and signer and by the message state's onConsegna hook, so the
 * MTA's own modules need no metrics code.
 */
import type { Signer } from '@/mail/pec';
import { PrometheusText } from './prometheus';

/** Upper bounds, seconds: an RSA-2048 CMS signature takes around a millisecond or two. */
const signingBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];
/** Upper bounds, seconds: a consegna normally comes back within seconds; the PEC limit is 24 h. */
const receiptLatencyBuckets = [0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600, 4 * 3600, 12 * 3600, 24 * 3600];

/** A cumulative histogram over fixed upper bounds. */
class Histogram {
  readonly counts: number[];
  sum = 0;
  count = 0;
  constructor(readonly bounds: readonly number[]) {
    this.counts = bounds.map(() => 0);
  }
  observe(value: number): void {
    this.sum += value;
    this.count++;
    this.bounds.forEach((le, i) => {
      if (value <= le) this.counts[i]++;
    });
  }
  snapshot() {
    return { buckets: this.bounds.map((le, i) => ({ le, count: this.counts[i] })), sum: this.sum, count: this.count };
  }
}

export class MtaCounters {
  readonly startedAt = new Date();
  private readonly events = new Map<string, { ok: number; error: number; refused: number }>();
  private readonly signing = { buckets: signingBuckets.map(() => 0), sum: 0, count: 0 };
  private readonly receiptLatency = new Histogram(receiptLatencyBuckets);
  /** The inflow gate's own tally (mail/mta/inflow.ts), read at each scrape. */
  private inflow: { readonly delayed: number; readonly delayedMs: number } = { delayed: 0, delayedMs: 0 };

  /** Reports the inflow gate's submissions that waited for reception work (read live, not copied). */
  trackInflow(stats: { readonly delayed: number; readonly delayedMs: number }): void {
    this.inflow = stats;
  }

  countEvent(type: string, outcome: string): void {
    let row = this.events.get(type);
    if (!row) this.events.set(type, (row = { ok: 0, error: 0, refused: 0 }));
    if (outcome === 'ERROR') row.error++;
    else if (outcome === 'REFUSED') row.refused++;
    else row.ok++;
  }

  observeSigning(seconds: number): void {
    this.signing.sum += seconds;
    this.signing.count++;
    signingBuckets.forEach((le, i) => {
      if (seconds <= le) this.signing.buckets[i]++;
    });
  }

  /** Seconds from a recipient's accettazione to its ricevuta di avvenuta consegna coming back. */
  observeReceiptLatency(seconds: number): void {
    // the accettazione time and the receipt time may come from two clocks (database, MTA)
    this.receiptLatency.observe(Math.max(0, seconds));
  }

  get receiptLatencyCount(): number {
    return this.receiptLatency.count;
  }

  eventCount(type: string): number {
    const row = this.events.get(type);
    return row ? row.ok + row.error + row.refused : 0;
  }

  get signingCount(): number {
    return this.signing.count;
  }

  write(text = new PrometheusText()): PrometheusText {
    const samples = [...this.events.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .flatMap(([type, row]) =>
        (['ok', 'error', 'refused'] as const)
          .filter((outcome) => row[outcome] > 0)
          .map((outcome) => ({ labels: { event: type.toLowerCase(), outcome }, value: row[outcome] })),
      );
    const total = (type: string) => this.eventCount(type);
    return text
      .gauge(
        'pec_mta_start_time_seconds',
        'When this MTA process started, Unix time.',
        Math.floor(this.startedAt.getTime() / 1000),
      )
      .counter(
        'pec_mta_events_total',
        'Transmission-log events written by this MTA process, by type and outcome.',
        samples,
      )
      .counter(
        'pec_mta_messages_accepted_total',
        'Ricevute di accettazione issued by this process.',
        total('ACCETTAZIONE'),
      )
      .counter(
        'pec_mta_messages_relayed_total',
        'Busta recipients handed to the next hop by this process.',
        this.events.get('BUSTA_RELAYED')?.ok ?? 0,
      )
      .counter(
        'pec_mta_messages_delivered_total',
        'Deliveries into our mailboxes by this process.',
        total('AVVENUTA_CONSEGNA_SENT'),
      )
      .counter('pec_mta_anomalies_total', 'Messaggi di anomalia issued by this process.', total('ANOMALIA'))
      .counter(
        'pec_mta_submissions_delayed_total',
        'Submissions that waited for reception work in progress (inflow gate, MTA_INFLOW_MAX_INBOUND).',
        this.inflow.delayed,
      )
      .counter(
        'pec_mta_submission_delay_seconds_total',
        'Time those submissions waited, in all (at most MTA_INFLOW_MAX_DELAY_MS each).',
        this.inflow.delayedMs / 1000,
      )
      .histogram('pec_mta_signing_seconds', 'Time to S/MIME-sign a PEC message.', {
        buckets: signingBuckets.map((le, i) => ({ le, count: this.signing.buckets[i] })),
        sum: this.signing.sum,
        count: this.signing.count,
      })
      .histogram(
        'pec_mta_receipt_latency_seconds',
        'Time from the accettazione to the ricevuta di avvenuta consegna received back, per recipient of messages sent by this provider.',
        this.receiptLatency.snapshot(),
      );
  }
}

/** The process's counters: on globalThis, since each Haraka plugin bundle has its own modules. */
export function mtaCounters(): MtaCounters {
  const g = globalThis as typeof globalThis & { pecMtaCounters?: MtaCounters };
  g.pecMtaCounters ??= new MtaCounters();
  return g.pecMtaCounters;
}

/** Wraps a transmission-log writer: each event written is also counted. */
export function countingLog<E extends { type: string; outcome: string }>(
  inner: { write(event: E): Promise<boolean> },
  counters: MtaCounters,
): { write(event: E): Promise<boolean> } {
  return {
    write: async (event) => {
      const written = await inner.write(event);
      // An event already on record (a retried transaction) is not counted twice.
      if (written) counters.countEvent(event.type, event.outcome);
      return written;
    },
  };
}

/**
 * Wraps a signer: each signature's duration goes into the signing-time histogram. It is the time
 * until the signature is there, waiting for a thread of libuv's pool included.
 */
export function timedSigner(inner: Signer, counters: MtaCounters): Signer {
  const timed = async <T>(fn: () => Promise<T>): Promise<T> => {
    const start = process.hrtime.bigint();
    try {
      return await fn();
    } finally {
      counters.observeSigning(Number(process.hrtime.bigint() - start) / 1e9);
    }
  };
  return {
    certPem: inner.certPem,
    email: inner.email,
    signDetached: (content, signingTime) => timed(() => inner.signDetached(content, signingTime)),
    signEntity: (entity, signingTime) => timed(() => inner.signEntity(entity, signingTime)),
  };
}

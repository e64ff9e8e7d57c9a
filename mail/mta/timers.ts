/**
 * The access point's timers (spec §5.1): polls the database for recipients whose 12 h or 24 h
 * deadline has passed, claims each notice atomically (so two MTA processes, or a restart, never send
 * it twice) and queues the signed avviso for the sender. Deadlines live in the database, so they
 * survive restarts; a notice whose claim succeeded but whose queueing crashed is not re-sent —
 * at most once, never twice.
 */
import { buildTimeoutNotice, describeOriginal, type BuildContext } from '@/mail/pec';
import {
  originalStandIn,
  pecRecipientsOf,
  readArchivedOriginal,
  type DueTimeout,
  type MessageStateStore,
} from './message-state';
import type { Outbox } from './spool';
import type { TransmissionLogWriter } from './transmission-log';

export interface TimerDeps {
  state: MessageStateStore;
  context: () => BuildContext;
  outbox: Outbox;
  log: TransmissionLogWriter;
  intervalMs: number;
  onError?: (err: Error) => void;
}

export class TimeoutTimers {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly deps: TimerDeps) {}

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.deps.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One pass at `now` (tests pass a clock). Overlapping calls share the pass in progress. */
  tick(now: Date = new Date()): Promise<void> {
    this.running ??= this.pass(now)
      .catch((err: Error) => this.deps.onError?.(err))
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  private async pass(now: Date): Promise<void> {
    for (const due of await this.deps.state.dueTimeouts(now)) {
      if (!(await this.deps.state.claimTimeout(due))) continue;
      await this.send(due);
    }
    await this.deps.state.pruneArchivedOriginals(now);
  }

  private async send(due: DueTimeout): Promise<void> {
    const ctx = this.deps.context();
    const original = (await readArchivedOriginal(due.originalPath)) ?? originalStandIn(due.identificativo);
    const recipients = pecRecipientsOf(due.recipients);
    const facts = describeOriginal({
      original,
      sender: due.sender,
      recipients,
      identificativo: due.identificativo,
    });
    const notice = await buildTimeoutNotice({ ctx, facts, consegna: due.recipient, hours: due.hours });
    await this.deps.outbox.enqueue({ from: notice.envelope.from, to: [due.sender] }, notice.chunks, {
      label: notice.kind,
      key: `timeout ${due.hours} ${due.identificativo} ${due.recipient}`,
    });
    await this.deps.log.write({
      type: due.hours === 12 ? 'PREAVVISO_SENT' : 'TIMEOUT_SENT',
      identificativo: due.identificativo,
      originalMessageId: facts.msgid,
      sender: due.sender,
      recipient: due.recipient,
      outcome: due.hours === 12 ? 'OK' : 'ERROR',
      details: { messageId: notice.messageId, hours: due.hours },
    });
  }
}

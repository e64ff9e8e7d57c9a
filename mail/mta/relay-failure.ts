/**
 * What a busta di trasporto that cannot be relayed earns its sender (spec §2.7, §5.1: a definitive
 * error must reach the user, the queue holds a message 24 h at most). Per recipient the spool gave
 * up on — refused for good (5xx) or expired in our queue:
 *
 * - `certificato`: an avviso di mancata consegna at once, instead of the 24 h timer's notice;
 * - `esterno` (ordinary mail): an RFC 3464 delivery status notification.
 *
 * Once per (busta, recipient), across restarts: the recipient's row is claimed first
 * (MessageStateStore.claimRelayFailure, the guard of the timers' 24 h claim), so whichever of the
 * two comes first sends the only notice. A claim made by an earlier relay failure still counts as
 * ours, because a crash may have come between the claim and the queueing; the notice is then
 * queued under a key, which the spool keeps as a tombstone once sent, and its log row is `once`.
 *
 * Route of the DSN: our reception point wraps any message that is not a valid PEC message in a
 * busta di anomalia, and a mailbox set to refuse ordinary mail would refuse it outright. So the DSN
 * is wrapped here, in a signed busta di anomalia from our service address (what the holder gets for
 * a DSN from any other Internet server), which the reception point recognises as a valid signed
 * PEC message and stores unchanged whatever the mailbox's ordinary-mail policy.
 */
import {
  buildBustaAnomalia,
  buildDeliveryStatus,
  buildMancataConsegna,
  describeOriginal,
  smtpFailureStatus,
  type BuildContext,
  type BuiltMessage,
  type ProviderIndex,
} from '@/mail/pec';
import { serviceAddress } from '@/mail/pec/build/assemble';
import {
  originalStandIn,
  pecRecipientsOf,
  readArchivedOriginal,
  type MessageStateStore,
} from './message-state';
import type { Outbox, SpoolOutcome } from './spool';
import type { TransmissionLogWriter } from './transmission-log';

export type RelayFailureOutcome = Extract<SpoolOutcome, { type: 'refused' | 'expired' }>;

export interface RelayFailureDeps {
  state: MessageStateStore;
  context: () => BuildContext;
  outbox: Outbox;
  log: TransmissionLogWriter;
  /** Names the recipient's provider in the notice. */
  index: ProviderIndex;
}

/** The peer's answer without the relay's `host:port: ` prefix. */
function peerAnswer(reason: string): string {
  return reason
    .replace(/^[^\s:]+:\d+: /, '')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 300);
}

function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1).toLowerCase();
}

export class RelayFailures {
  constructor(private readonly deps: RelayFailureDeps) {}

  /** Issues what each recipient of a refused or expired busta is owed (errors are the caller's). */
  async handle(o: RelayFailureOutcome): Promise<void> {
    const identificativo = o.entry.ref;
    if (!identificativo) return;
    // one recipient's failure (database down) must not cost the others their notice
    const errors: unknown[] = [];
    for (const recipient of o.recipients)
      await this.settle(o, identificativo, recipient.toLowerCase()).catch((err: unknown) => errors.push(err));
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1)
      throw new AggregateError(errors, `${errors.length} recipients of ${identificativo}`);
  }

  private async settle(o: RelayFailureOutcome, identificativo: string, recipient: string): Promise<void> {
    const ctx = this.deps.context();
    const expired = o.type === 'expired';
    const status = smtpFailureStatus(o.reason, expired);
    const answer = o.reason ? peerAnswer(o.reason) : '';
    const peer = this.deps.index.byDomain(domainOf(recipient))?.providerName ?? null;
    const erroreEsteso = expired
      ? `${status} - ${ctx.provider.name} - messaggio non inoltrato entro il tempo massimo di permanenza in coda${answer ? ` (${answer})` : ''}`
      : `${status} - ${peer ?? domainOf(recipient)} - ${answer || 'rifiutato dal server del destinatario'}`;
    const claim = await this.deps.state.claimRelayFailure(identificativo, recipient, erroreEsteso, ctx.now);
    // Settled already: a consegna or a mancata consegna came back, or the 24 h timer spoke first.
    if (!claim) return;
    const original = await readArchivedOriginal(claim.originalPath);
    const recipients = pecRecipientsOf(claim.recipients);
    const facts = describeOriginal({
      // the archive is kept while timers run; without it the notice still names the transaction
      original: original ?? originalStandIn(identificativo),
      sender: claim.sender,
      recipients,
      identificativo,
    });
    let notice: BuiltMessage;
    let kind: 'avviso-mancata-consegna' | 'dsn';
    if (claim.certified) {
      kind = 'avviso-mancata-consegna';
      notice = await buildMancataConsegna({
        ctx,
        facts,
        consegna: recipient,
        errore: /^\d\.1\.1$/.test(status) ? 'no-dest' : /^\d\.1\.2$/.test(status) ? 'no-dominio' : 'altro',
        erroreEsteso,
      });
    } else {
      kind = 'dsn';
      const dsn = buildDeliveryStatus({
        ctx,
        original: original ?? Buffer.from(`Message-ID: ${facts.msgid}\r\nSubject: ${facts.oggetto}\r\n\r\n`),
        to: claim.sender,
        arrivalDate: claim.acceptedAt,
        envelopeId: identificativo,
        recipients: [
          {
            address: recipient,
            status,
            // Diagnostic-Code says `smtp;`: only a server's reply goes there, not a connection error
            diagnostic: /^[2-5]\d\d[ -]/.test(answer) ? answer : undefined,
            lastAttempt: ctx.now,
          },
        ],
      });
      notice = await buildBustaAnomalia({
        ctx,
        received: dsn.data,
        sender: serviceAddress(ctx),
        recipients: [claim.sender],
        reason: 'avviso di mancato recapito a un destinatario di posta ordinaria',
      });
    }
    await this.deps.outbox.enqueue({ from: notice.envelope.from, to: [claim.sender] }, notice.chunks, {
      label: kind === 'dsn' ? 'dsn' : notice.kind,
      key: `relay-failure ${identificativo} ${recipient}`,
    });
    await this.deps.log.write({
      type: 'MANCATA_CONSEGNA_SENT',
      identificativo,
      originalMessageId: facts.msgid,
      sender: claim.sender,
      recipient,
      counterpartProvider: peer,
      outcome: 'ERROR',
      details: { notice: kind, stage: o.type, status, reason: erroreEsteso, messageId: notice.messageId },
      once: true,
    });
  }
}

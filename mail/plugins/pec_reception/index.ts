/**
 * Haraka plugin: the PEC reception point (inbound, port 25-style) and delivery point. Hooks only
 * translate SMTP events into calls on the ReceptionPoint (mail/mta/reception.ts); every decision
 * lives there. Each hook calls `next` exactly once and catches its own errors: a failure is a
 * temporary refusal (4xx), so the sending provider retries and nothing is lost.
 */
import constants from 'haraka-constants';
import DSN from 'haraka-dsn';
import {
  envelopeAddress,
  skipUnspooledStreamCleanup,
  type HarakaAddress,
  type HarakaConnection,
  type HarakaPlugin,
  type Next,
} from '../haraka';
import { closeMtaRuntime, isSubmissionPort, mtaRuntime, mtaStatusServer, setNoDelay } from '../runtime';

export function register(this: HarakaPlugin): void {
  mtaRuntime().catch((err: Error) => this.logcrit(`PEC runtime failed to start: ${err.stack ?? err.message}`));
  // metrics are not worth refusing mail for: a busy status port is logged, mail still flows
  mtaStatusServer().catch((err: Error) => this.logerror(`MTA status endpoint not started: ${err.message}`));
}

export function hook_connect_init(this: HarakaPlugin, next: Next, connection: HarakaConnection): void {
  setNoDelay(connection);
  next();
}

/** Every transaction of the process, submission ports included (both plugins share one Haraka). */
export function hook_reset_transaction(this: HarakaPlugin, next: Next, connection: HarakaConnection): void {
  skipUnspooledStreamCleanup(connection);
  next();
}

export function hook_rcpt(this: HarakaPlugin, next: Next, connection: HarakaConnection, params: [HarakaAddress]): void {
  if (isSubmissionPort(connection)) return next();
  const recipient = envelopeAddress(params[0]);
  const sender = envelopeAddress(connection.transaction?.mail_from);
  (async () => {
    const rt = await mtaRuntime();
    if (!rt.reception.isLocal(recipient)) return next(constants.deny, '5.7.1 relaying denied');
    if (await rt.reception.acceptsRecipient(recipient, sender)) return next(constants.ok);
    return next(constants.deny, '5.1.1 mailbox unknown');
  })().catch((err: Error) => {
    this.logerror(`rcpt ${recipient}: ${err.message}`);
    next(constants.denysoft, DSN.sys_unspecified('temporary failure, try again later', 451));
  });
}

/**
 * The reception's work runs at data_post, where a temporary refusal keeps its own code (451 4.3.0:
 * Haraka answers any temporary refusal of a queue hook with a bare 450); hook_queue only says what
 * data_post decided.
 */
export function hook_data_post(this: HarakaPlugin, next: Next, connection: HarakaConnection): void {
  if (isSubmissionPort(connection)) return next();
  const txn = connection.transaction;
  if (!txn) return next(constants.denysoft, DSN.sys_unspecified('no transaction', 451));
  // `dot_stuffed: true` means "the stored data is dot-stuffed: undo it", giving the bytes exactly
  // as the sender meant them, CRLF (signatures cover them).
  txn.message_stream.get_data({ dot_stuffed: true, line_endings: '\r\n' }, (raw: Buffer) => {
    (async () => {
      const rt = await mtaRuntime();
      const result = await rt.reception.receive(
        { from: envelopeAddress(txn.mail_from), to: txn.rcpt_to.map(envelopeAddress) },
        raw,
      );
      this.lognotice(
        `${txn.uuid} ${result.verdict}: delivered [${result.delivered.join(', ')}] failed [${result.failed.map((f) => f.recipient).join(', ')}] issued [${result.issued.join(', ')}]`,
      );
      if (!result.accept) return next(constants.deny, result.reason ?? '5.7.1 refused');
      txn.notes.pecReceived = true;
      return next();
    })().catch((err: Error & { code?: string }) => {
      // the sender retried this busta while an earlier attempt still delivers it (message-state.ts)
      if (err.code === 'INBOUND_BUSY') {
        this.lognotice(`${txn.uuid} ${err.message}`);
        return next(constants.denysoft, DSN.sys_unspecified('busta being delivered, try again later', 451));
      }
      this.logerror(`reception ${txn.uuid}: ${err.stack ?? err.message}`);
      next(constants.denysoft, DSN.sys_unspecified('temporary failure, try again later', 451));
    });
  });
}

export function hook_queue(this: HarakaPlugin, next: Next, connection: HarakaConnection): void {
  if (isSubmissionPort(connection)) return next();
  // data_post took it in (or refused it, and this hook never runs)
  if (connection.transaction?.notes.pecReceived === true) return next(constants.ok, 'presa in carico');
  next(constants.denysoft, '4.3.0 temporary failure, try again later');
}

export function shutdown(): void {
  void closeMtaRuntime();
}

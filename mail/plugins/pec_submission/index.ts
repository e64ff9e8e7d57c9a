/**
 * Haraka plugin: the PEC access point on the submission ports (implicit TLS and STARTTLS). AUTH
 * PLAIN/LOGIN is offered only inside TLS and checked against the mailbox table (Haraka's
 * auth/auth_base runs the SASL dialogue); MAIL needs an authenticated TLS session; the message is
 * handed to the SubmissionPoint (mail/mta/submission.ts), which answers with an accettazione or a
 * non accettazione. On the reception point's port every hook passes (`next()`) to pec_reception.
 */
import constants from 'haraka-constants';
import DSN from 'haraka-dsn';
import { envelopeAddress, type HarakaConnection, type HarakaPlugin, type Next } from '../haraka';
import { LogLines } from '../log-lines';
import { closeMtaRuntime, isSubmissionPort, mtaRuntime, setNoDelay } from '../runtime';

interface AuthPlugin extends HarakaPlugin {
  inherits(parent: string): void;
}

type AuthCallback = (valid: boolean, opts?: { code: number; message: string }) => void;

export function register(this: AuthPlugin): void {
  // SASL PLAIN/LOGIN parsing and the 235/535 replies come from Haraka's own auth base.
  this.inherits('auth/auth_base');
  mtaRuntime().catch((err: Error) =>
    this.logcrit(`PEC runtime failed to start: ${err.stack ?? err.message}`),
  );
}

/** Haraka's log output for the whole process (this plugin comes first of ours): see log-lines.ts. */
const logLines = new LogLines((text) => process.stdout.write(text));
process.on('exit', () => logLines.flush());

/** Every log line Haraka would print, written in batches; on a terminal Haraka prints (and colours) them itself. */
export function hook_log(next: Next, logger: { timestamps: boolean }, item: { data: string }): void {
  if (process.stdout.isTTY) return next();
  logLines.add(logger.timestamps ? `${new Date().toISOString()} ${item.data}` : item.data);
  next(constants.ok);
}

export function hook_connect_init(this: HarakaPlugin, next: Next, connection: HarakaConnection): void {
  setNoDelay(connection);
  next();
}

export function hook_capabilities(this: HarakaPlugin, next: Next, connection: HarakaConnection): void {
  if (!isSubmissionPort(connection) || !connection.tls.enabled) return next();
  const methods = ['PLAIN', 'LOGIN'];
  connection.capabilities.push(`AUTH ${methods.join(' ')}`);
  connection.notes.allowed_auth_methods = methods;
  next();
}

/** Called by auth_base with the decoded credentials. */
export function check_plain_passwd(
  this: HarakaPlugin,
  connection: HarakaConnection,
  user: string,
  password: string,
  cb: AuthCallback,
): void {
  mtaRuntime()
    .then((rt) => rt.submission.authenticate(user, password, connection.remote.ip))
    .then((r) => (r.ok ? cb(true) : cb(false, { code: 535, message: `5.7.8 ${r.reason}` })))
    .catch((err: Error) => {
      this.logerror(`auth ${user}: ${err.message}`);
      cb(false, { code: 454, message: '4.7.0 temporary authentication failure' });
    });
}

export function hook_mail(this: HarakaPlugin, next: Next, connection: HarakaConnection): void {
  if (!isSubmissionPort(connection)) return next();
  if (!connection.tls.enabled) return next(constants.deny, '5.7.10 encryption required');
  const authUser = connection.notes.auth_user;
  if (typeof authUser !== 'string') return next(constants.deny, '5.7.0 authentication required');
  // A sender whose own box is full could not store its accettazione: 452 4.2.2 before DATA.
  mtaRuntime()
    .then((rt) => rt.submission.senderHasRoom(authUser))
    .then((room) =>
      room
        ? next()
        : next(
            constants.denysoft,
            DSN.mbox_full(`mailbox ${authUser} is full: free some space before sending`, 452),
          ),
    )
    .catch((err: Error) => {
      this.logerror(`mail ${authUser}: ${err.message}`);
      next(constants.denysoft, DSN.sys_unspecified('temporary failure, try again later', 451));
    });
}

export function hook_rcpt(this: HarakaPlugin, next: Next, connection: HarakaConnection): void {
  if (!isSubmissionPort(connection)) return next();
  // Recipients are judged against the headers at DATA time (formal checks, spec §2.6).
  if (!connection.notes.auth_user) return next(constants.deny, '5.7.0 authentication required');
  next(constants.ok);
}

/**
 * The submission's work (formal checks, busta and accettazione durably queued) runs at data_post,
 * not in the queue hook: Haraka answers every temporary refusal of a queue hook with a bare 450,
 * while a data_post refusal keeps its own code (451 4.3.0 for a failure here, 452 4.2.2 for a full
 * sender box). The queue hook then only says what data_post decided.
 */
export function hook_data_post(this: HarakaPlugin, next: Next, connection: HarakaConnection): void {
  if (!isSubmissionPort(connection)) return next();
  const txn = connection.transaction;
  const authUser = connection.notes.auth_user;
  if (!txn || typeof authUser !== 'string') return next(constants.deny, '5.7.0 authentication required');
  txn.message_stream.get_data({ dot_stuffed: true, line_endings: '\r\n' }, (raw: Buffer) => {
    (async () => {
      const rt = await mtaRuntime();
      const result = await rt.submission.submit(
        authUser,
        { from: envelopeAddress(txn.mail_from), to: txn.rcpt_to.map(envelopeAddress) },
        raw,
      );
      this.lognotice(
        `${txn.uuid} ${result.accepted ? 'accettazione' : `non accettazione (${result.cause})`} ${result.identificativo}`,
      );
      // Either way the answer is a signed notice in the sender's mailbox: SMTP says "queued".
      txn.notes.pecQueued = result.accepted
        ? `accettato ${result.identificativo}`
        : `non accettato: ${result.cause}`;
      next();
    })().catch((err: Error & { code?: string }) => {
      if (err.code === 'SENDER_MAILBOX_FULL') return next(constants.denysoft, DSN.mbox_full(err.message, 452));
      this.logerror(`submission ${txn.uuid}: ${err.stack ?? err.message}`);
      next(constants.denysoft, DSN.sys_unspecified('temporary failure, try again later', 451));
    });
  });
}

/** Authenticated sessions are "relaying" in Haraka terms, so their messages come to queue_outbound. */
export function hook_queue_outbound(this: HarakaPlugin, next: Next, connection: HarakaConnection): void {
  // Never let Haraka's own outbound deliver anything: only PEC-built messages leave, via our spool.
  if (!isSubmissionPort(connection)) return next(constants.deny, '5.7.1 relaying denied');
  const queued = connection.transaction?.notes.pecQueued;
  // data_post queued it (or refused it, and this hook never runs)
  if (typeof queued === 'string') return next(constants.ok, queued);
  next(constants.denysoft, '4.3.0 temporary failure, try again later');
}

export function shutdown(): void {
  logLines.flush();
  void closeMtaRuntime();
}

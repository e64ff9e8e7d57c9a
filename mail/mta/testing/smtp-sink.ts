/**
 * A real SMTP server on 127.0.0.1 that records what it receives: the "ordinary Internet" end of
 * relay and end-to-end tests. STARTTLS is offered with smtp-server's built-in self-signed certificate.
 */
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';

export interface SinkMessage {
  from: string;
  to: string[];
  raw: Buffer;
  secure: boolean;
  sessionId: string;
}

export interface SmtpSink {
  port: number;
  messages: SinkMessage[];
  /** Number of TCP connections accepted so far. */
  connections: () => number;
  /** Resolves once `count` messages have arrived. */
  waitFor: (count: number, timeoutMs?: number) => Promise<void>;
  close: () => Promise<void>;
}

export interface SinkOptions {
  /** RCPT addresses refused with 550. */
  rejectRecipients?: string[];
  /** Refuse every message at the end of DATA with this answer (a peer refusing the whole busta). */
  refuseData?: { code: number; message: string };
  startTls?: boolean;
  /** Close connections idle this long (simulates a peer dropping pooled connections). */
  socketTimeoutMs?: number;
}

export async function startSmtpSink(options: SinkOptions = {}): Promise<SmtpSink> {
  const messages: SinkMessage[] = [];
  const waiters: (() => void)[] = [];
  let connections = 0;
  const refused = new Set((options.rejectRecipients ?? []).map((a) => a.toLowerCase()));
  const serverOptions: SMTPServerOptions = {
    authOptional: true,
    disabledCommands: options.startTls === false ? ['STARTTLS', 'AUTH'] : ['AUTH'],
    logger: false,
    socketTimeout: options.socketTimeoutMs,
    onConnect(_session, cb) {
      connections++;
      cb();
    },
    onRcptTo(address, _session, cb) {
      if (refused.has(address.address.toLowerCase())) {
        const err = new Error('5.1.1 no such user') as Error & { responseCode: number };
        err.responseCode = 550;
        cb(err);
        return;
      }
      cb();
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        if (options.refuseData) {
          const err = new Error(options.refuseData.message) as Error & { responseCode: number };
          err.responseCode = options.refuseData.code;
          cb(err);
          return;
        }
        messages.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks),
          secure: session.secure,
          sessionId: session.id,
        });
        for (const w of waiters.splice(0)) w();
        cb();
      });
    },
  };
  const server = new SMTPServer(serverOptions);
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    messages,
    connections: () => connections,
    waitFor: (count, timeoutMs = 10_000) =>
      new Promise<void>((resolve, reject) => {
        const deadline = setTimeout(() => reject(new Error(`sink got ${messages.length}/${count} messages`)), timeoutMs);
        const check = () => {
          if (messages.length >= count) {
            clearTimeout(deadline);
            resolve();
          } else waiters.push(check);
        };
        check();
      }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

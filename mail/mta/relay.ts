/**
 * Outbound SMTP client for bustas and receipts: STARTTLS whenever the peer offers it, connections kept
 * open and reused per next hop, and TCP_NODELAY on every socket. Without NODELAY each SMTP command
 * waits on Nagle + delayed ACK (~40 ms on Linux loopback), which is what makes a plain Haraka relay
 * take ~190 ms per message; reuse avoids a connect + banner + EHLO + TLS handshake per message.
 */
import net from 'node:net';
import type tls from 'node:tls';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import type { RelayTarget } from './routing';

export interface RelayOptions {
  /** Name we announce in EHLO (our MTA host name). */
  heloName: string;
  /** TLS options for STARTTLS, e.g. `{ ca }` or `{ rejectUnauthorized: false }` for opportunistic TLS. */
  tls?: tls.ConnectionOptions;
  /** Refuse to send when the peer does not offer STARTTLS (PEC provider-to-provider traffic). */
  requireTls?: boolean;
  /**
   * Simultaneous connections per next hop; extra sends wait for a free one. Default 20, Postfix's
   * `default_destination_concurrency_limit`: a recipient provider sends two receipts (presa in carico,
   * consegna) per busta back to the same sender, and at 10 connections those receipts queued behind
   * each other (the bench at concurrency 10: a backlog of hundreds in the recipient's spool).
   */
  maxConnectionsPerTarget?: number;
  /** Idle connections are closed (QUIT) after this long. */
  idleTimeoutMs?: number;
  /** Messages per connection before it is replaced. */
  maxMessagesPerConnection?: number;
  connectTimeoutMs?: number;
}

export interface RelayEnvelope {
  from: string;
  to: string[];
}

export interface RejectedRecipient {
  address: string;
  code: number | undefined;
  response: string;
}

export interface RelayResult {
  target: RelayTarget;
  accepted: string[];
  rejected: RejectedRecipient[];
  /** Final server reply to DATA (carries the peer's queue id). */
  response: string;
}

/** The whole transaction failed. `permanent` (5xx) means retrying the same message is pointless. */
export class RelayError extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
    readonly code: number | undefined,
    readonly rejected: RejectedRecipient[] = [],
  ) {
    super(message);
    this.name = 'RelayError';
  }
}

interface Pooled {
  conn: SMTPConnection;
  socket: net.Socket;
  messages: number;
  closed: boolean;
  idleTimer?: NodeJS.Timeout;
  /** Fails the operation in progress: nodemailer reports socket and handshake errors only as events. */
  fail?: (err: SmtpErrorShape) => void;
}

interface SmtpErrorShape extends Error {
  code?: string;
  responseCode?: number;
  response?: string;
  rejected?: string[];
  rejectedErrors?: SmtpErrorShape[];
  recipient?: string;
}

/** Errors after which the connection itself is unusable (as opposed to a reply to one command). */
const connectionErrors = new Set(['ECONNECTION', 'ESOCKET', 'ETIMEDOUT', 'ETLS', 'EPROTOCOL', 'EDNS', 'ECONNREFUSED']);

function rejectedFrom(err: SmtpErrorShape): RejectedRecipient[] {
  return (err.rejectedErrors ?? []).map((e) => ({
    address: e.recipient ?? '',
    code: e.responseCode,
    response: e.response ?? e.message,
  }));
}

export class SmtpRelay {
  private readonly idle = new Map<string, Pooled[]>();
  private readonly busy = new Map<string, number>();
  private readonly waiting = new Map<string, (() => void)[]>();
  private closing = false;

  constructor(private readonly options: RelayOptions) {}

  /**
   * Sends one message to the first reachable target. Connection failures move on to the next target
   * (and a failure on a reused connection is retried once on a fresh one); SMTP replies do not.
   */
  async send(targets: RelayTarget | RelayTarget[], envelope: RelayEnvelope, raw: Buffer | string): Promise<RelayResult> {
    const list = Array.isArray(targets) ? targets : [targets];
    if (list.length === 0) throw new RelayError('no relay target', false, undefined);
    let lastError: unknown;
    for (const target of list) {
      try {
        return await this.sendTo(target, envelope, typeof raw === 'string' ? Buffer.from(raw) : raw);
      } catch (err) {
        lastError = err;
        if (err instanceof RelayError && err.code !== undefined) throw err; // the server answered: final
      }
    }
    throw lastError instanceof RelayError
      ? lastError
      : new RelayError(`relay failed: ${(lastError as Error)?.message ?? lastError}`, false, undefined);
  }

  /** Closes every pooled connection. */
  async close(): Promise<void> {
    this.closing = true;
    for (const list of this.idle.values()) for (const p of list) this.discard(p, true);
    this.idle.clear();
  }

  private async sendTo(target: RelayTarget, envelope: RelayEnvelope, raw: Buffer): Promise<RelayResult> {
    const key = `${target.host}:${target.port}`;
    await this.acquireSlot(key);
    try {
      let pooled = this.takeIdle(key);
      if (pooled) {
        try {
          return await this.transact(pooled, target, envelope, raw, key);
        } catch (err) {
          // A reused connection may have been closed by the peer while idle: retry once on a fresh one.
          if (!(err instanceof RelayError) || err.code !== undefined) throw err;
        }
      }
      pooled = await this.open(target);
      return await this.transact(pooled, target, envelope, raw, key);
    } finally {
      this.releaseSlot(key);
    }
  }

  private transact(p: Pooled, target: RelayTarget, envelope: RelayEnvelope, raw: Buffer, key: string): Promise<RelayResult> {
    return new Promise((resolve, reject) => {
      let settled = false;
      const done = (err: SmtpErrorShape | null, info?: SMTPConnection.SentMessageInfo) => {
        if (settled) return;
        settled = true;
        p.fail = undefined;
        if (err) {
          const e = err as SmtpErrorShape;
          // After a failed transaction nodemailer's connection state is uncertain: do not reuse it.
          this.discard(p, !connectionErrors.has(e.code ?? ''));
          const code = connectionErrors.has(e.code ?? '') ? undefined : e.responseCode;
          reject(new RelayError(`${key}: ${e.response ?? e.message}`, code !== undefined && code >= 500, code, rejectedFrom(e)));
          return;
        }
        p.messages++;
        this.release(key, p);
        resolve({
          target,
          accepted: info!.accepted.map(String),
          rejected: rejectedFrom({ rejectedErrors: info!.rejectedErrors } as SmtpErrorShape),
          response: info!.response,
        });
      };
      p.fail = (err) => done(err);
      if (p.closed) {
        done(Object.assign(new Error('connection closed'), { code: 'ECONNECTION' }));
        return;
      }
      p.conn.send({ from: envelope.from, to: envelope.to }, raw, (err, info) => done(err ?? null, info));
    });
  }

  private open(target: RelayTarget): Promise<Pooled> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: target.host, port: target.port, noDelay: true });
      const timeout = setTimeout(() => {
        socket.destroy();
        reject(new RelayError(`connect to ${target.host}:${target.port} timed out`, false, undefined));
      }, this.options.connectTimeoutMs ?? 15_000);
      socket.once('error', (err) => {
        clearTimeout(timeout);
        reject(new RelayError(`connect to ${target.host}:${target.port}: ${err.message}`, false, undefined));
      });
      socket.once('connect', () => {
        clearTimeout(timeout);
        socket.removeAllListeners('error');
        socket.setNoDelay(true);
        const conn = new SMTPConnection({
          connection: socket,
          host: target.host,
          port: target.port,
          name: this.options.heloName,
          requireTLS: this.options.requireTls ?? false,
          tls: this.options.tls,
          // The peer's answers are authoritative; nodemailer's own 2-minute defaults are kept for I/O.
          connectionTimeout: this.options.connectTimeoutMs ?? 15_000,
          greetingTimeout: this.options.connectTimeoutMs ?? 15_000,
        });
        const pooled: Pooled = { conn, socket, messages: 0, closed: false };
        const lost = (err: SmtpErrorShape) => {
          pooled.closed = true;
          pooled.fail?.(err);
        };
        conn.on('error', (err: SmtpErrorShape) => lost(err.code ? err : Object.assign(err, { code: 'ECONNECTION' })));
        conn.on('end', () => lost(Object.assign(new Error('connection closed by peer'), { code: 'ECONNECTION' })));
        pooled.fail = (err) => {
          pooled.fail = undefined;
          conn.close();
          // A handshake refusal (e.g. STARTTLS required but not offered) is final for this target.
          reject(new RelayError(`${target.host}:${target.port}: ${err.response ?? err.message}`, false, undefined));
        };
        conn.connect((err) => {
          if (err) {
            pooled.fail?.(err);
            return;
          }
          pooled.fail = undefined;
          resolve(pooled);
        });
      });
    });
  }

  private takeIdle(key: string): Pooled | undefined {
    const list = this.idle.get(key);
    while (list && list.length > 0) {
      const p = list.pop()!;
      clearTimeout(p.idleTimer);
      if (!p.closed && !p.socket.destroyed) return p;
    }
    return undefined;
  }

  private release(key: string, p: Pooled): void {
    if (this.closing || p.closed || p.messages >= (this.options.maxMessagesPerConnection ?? 1000)) {
      this.discard(p, true);
      return;
    }
    p.idleTimer = setTimeout(() => {
      const list = this.idle.get(key);
      const i = list?.indexOf(p) ?? -1;
      if (i >= 0) list!.splice(i, 1);
      this.discard(p, true);
    }, this.options.idleTimeoutMs ?? 30_000);
    p.idleTimer.unref();
    const list = this.idle.get(key) ?? [];
    list.push(p);
    this.idle.set(key, list);
  }

  private discard(p: Pooled, polite: boolean): void {
    clearTimeout(p.idleTimer);
    if (p.closed) return;
    p.closed = true;
    if (polite) p.conn.quit();
    else p.conn.close();
  }

  private async acquireSlot(key: string): Promise<void> {
    const max = this.options.maxConnectionsPerTarget ?? 20;
    while ((this.busy.get(key) ?? 0) >= max) {
      await new Promise<void>((resolve) => {
        const q = this.waiting.get(key) ?? [];
        q.push(resolve);
        this.waiting.set(key, q);
      });
    }
    this.busy.set(key, (this.busy.get(key) ?? 0) + 1);
  }

  private releaseSlot(key: string): void {
    this.busy.set(key, (this.busy.get(key) ?? 1) - 1);
    this.waiting.get(key)?.shift()?.();
  }
}

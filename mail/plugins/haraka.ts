/**
 * The small part of Haraka's plugin API our plugins use (Haraka ships no types). Hooks are
 * callback style: `next(code, message)` exactly once.
 */
import type { Socket } from 'node:net';

export type Next = (code?: number, message?: string | string[] | import('haraka-dsn')) => void;

/** An envelope address: `address` is a getter in Haraka 3.3 (@haraka/email-address), a method before. */
export interface HarakaAddress {
  address: string | (() => string);
  user: string | null;
  host: string | null;
}

export function envelopeAddress(a: HarakaAddress | null | undefined): string {
  if (!a) return '';
  return typeof a.address === 'function' ? a.address() : a.address;
}

export interface HarakaTransaction {
  uuid: string;
  mail_from: HarakaAddress;
  rcpt_to: HarakaAddress[];
  data_bytes: number;
  notes: Record<string, unknown>;
  message_stream: {
    get_data(options: Record<string, unknown>, cb: (data: Buffer) => void): void;
    /** True once the message outgrew `spool_after` and is being written to `<spool_dir>/<uuid>.eml`. */
    spooling: boolean;
    destroy(): void;
  };
}

/**
 * Haraka's message stream (haraka-message-stream 2.0.8) unlinks `<spool_dir>/<uuid>.eml` when its
 * transaction ends even if the message stayed in memory and no such file was made: a failing unlink,
 * one trip through libuv's thread pool, per SMTP transaction (four per exchanged message). A stream
 * that never spooled has nothing to clean up, so its destroy() is skipped. Call it from a
 * `reset_transaction` hook, which runs just before Haraka destroys the stream.
 */
export function skipUnspooledStreamCleanup(connection: Pick<HarakaConnection, 'transaction'>): void {
  const stream = connection.transaction?.message_stream;
  if (stream && stream.spooling === false) stream.destroy = () => undefined;
}

export interface HarakaConnection {
  uuid: string;
  remote: { ip: string; port: number };
  local?: { ip: string; port: number | string };
  tls: { enabled: boolean };
  capabilities: string[];
  relaying: boolean;
  client?: Socket;
  transaction: HarakaTransaction | null;
  notes: Record<string, unknown>;
  loginfo(plugin: unknown, msg: string): void;
  logerror(plugin: unknown, msg: string): void;
}

export interface HarakaPlugin {
  name: string;
  register_hook(hook: string, method: string, priority?: number): void;
  loginfo(msg: string): void;
  /** Shown at the default level (LOG_LEVEL info → Haraka NOTICE): one summary line per message. */
  lognotice(msg: string): void;
  logerror(msg: string): void;
  logcrit(msg: string): void;
}

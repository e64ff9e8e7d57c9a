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
  };
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

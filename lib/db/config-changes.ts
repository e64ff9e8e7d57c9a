/**
 * The portal → MTA change feed. Every mutation of a mailbox or domain (and anything else the MTA
 * caches) calls notifyConfigChanged() inside its own transaction, so PostgreSQL delivers
 * `NOTIFY pec_config_changed, '<entity>:<id>'` exactly when — and only if — the change commits.
 * The MTA subscribes with onConfigChanged() and drops the cached entries named.
 *
 * After a reconnection the listener may have missed notifications, so it receives
 * { entity: '*', id: '' }: flush everything.
 */
import { Client } from 'pg';
import type { Prisma, PrismaClient } from '../../prisma/generated/client';
import { currentDatabaseUrl } from './client';

export const configChangedChannel = 'pec_config_changed';

export type ConfigEntity = 'mailbox' | 'domain' | 'organization' | 'certificate' | 'trusted_provider' | '*';

export interface ConfigChange {
  entity: ConfigEntity | (string & {});
  id: string;
}

/** Queues the notification in the caller's transaction (sent at COMMIT, dropped on ROLLBACK). */
export async function notifyConfigChanged(
  db: Prisma.TransactionClient | PrismaClient,
  entity: Exclude<ConfigEntity, '*'>,
  id: string,
): Promise<void> {
  await db.$executeRaw`SELECT pg_notify(${configChangedChannel}, ${`${entity}:${id}`})`;
}

export function parseConfigChange(payload: string): ConfigChange {
  const i = payload.indexOf(':');
  return i < 0 ? { entity: payload, id: '' } : { entity: payload.slice(0, i), id: payload.slice(i + 1) };
}

export interface ConfigChangeSubscription {
  /** resolves once the first LISTEN is in place (changes committed after that are seen) */
  ready: Promise<void>;
  close(): Promise<void>;
}

export interface ConfigChangeOptions {
  url?: string;
  /** first reconnection delay, doubled up to maxRetryMs */
  retryMs?: number;
  maxRetryMs?: number;
  onError?: (err: Error) => void;
}

/** A dedicated connection LISTENing on pec_config_changed, reconnecting (with backoff) when lost. */
export function onConfigChanged(
  listener: (change: ConfigChange) => void,
  options: ConfigChangeOptions = {},
): ConfigChangeSubscription {
  const url = options.url ?? currentDatabaseUrl();
  const maxRetryMs = options.maxRetryMs ?? 30_000;
  let closed = false;
  let client: Client | undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  let delay = options.retryMs ?? 500;
  let connectedOnce = false;
  let resolveReady!: () => void;
  const ready = new Promise<void>((resolve) => (resolveReady = resolve));

  const safeListener = (change: ConfigChange) => {
    try {
      listener(change);
    } catch (err) {
      options.onError?.(err as Error);
    }
  };

  const scheduleReconnect = () => {
    if (closed || retryTimer) return;
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      void connect();
    }, delay);
    retryTimer.unref?.();
    delay = Math.min(delay * 2, maxRetryMs);
  };

  async function connect(): Promise<void> {
    const c = new Client({ connectionString: url });
    client = c;
    let failed = false;
    const fail = (err?: Error) => {
      if (failed) return;
      failed = true;
      if (err) options.onError?.(err);
      c.removeAllListeners('notification');
      void c.end().catch(() => {});
      if (client === c) client = undefined;
      scheduleReconnect();
    };
    c.on('error', fail);
    c.on('end', () => fail());
    c.on('notification', (msg) => {
      if (msg.channel === configChangedChannel) safeListener(parseConfigChange(msg.payload ?? ''));
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${configChangedChannel}`);
    } catch (err) {
      fail(err as Error);
      return;
    }
    if (closed) {
      await c.end().catch(() => {});
      return;
    }
    delay = options.retryMs ?? 500;
    if (connectedOnce) safeListener({ entity: '*', id: '' });
    connectedOnce = true;
    resolveReady();
  }

  void connect();
  return {
    ready,
    async close() {
      closed = true;
      if (retryTimer) clearTimeout(retryTimer);
      const c = client;
      client = undefined;
      if (c) {
        c.removeAllListeners();
        c.on('error', () => {});
        await c.end().catch(() => {});
      }
    },
  };
}

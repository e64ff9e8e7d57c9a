/**
 * Health probes shared by the portal's `/api/health` and the operational scripts.
 * The MTA probe speaks just enough SMTP to prove the listener is a working server, not merely an
 * open port: it waits for the 220 greeting, then says QUIT so the server logs a clean session.
 */
import net from 'node:net';

export interface SmtpProbe {
  host: string;
  port: number;
  ok: boolean;
  banner?: string;
  error?: string;
}

export interface DatabaseHealth {
  ok: boolean;
  latencyMs: number;
  error?: string;
}

export interface HealthReport {
  status: 'ok' | 'degraded';
  database: DatabaseHealth;
  mta: { ok: boolean; inbound: SmtpProbe; error?: string };
  time: string;
}

/** A wildcard listen address is not something to connect to; probe the loopback instead. */
export function connectableHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::' || host === '[::]') return '::1';
  return host;
}

/** Opens an SMTP session, reads the (possibly multi-line) greeting and quits. Never throws. */
export function probeSmtpBanner(host: string, port: number, timeoutMs = 2000): Promise<SmtpProbe> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: connectableHost(host), port });
    let buffered = '';
    let settled = false;
    const finish = (result: Omit<SmtpProbe, 'host' | 'port'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (result.ok) {
        // Polite close; the server's 221 reply is not worth waiting for.
        socket.end('QUIT\r\n');
        setTimeout(() => socket.destroy(), 500).unref();
      } else {
        socket.destroy();
      }
      resolve({ host, port, ...result });
    };
    const timer = setTimeout(
      () => finish({ ok: false, error: `no SMTP greeting within ${timeoutMs} ms` }),
      timeoutMs,
    );
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\r\n');
      const last = lines.findIndex((l) => /^\d{3}(?: |$)/.test(l));
      if (last === -1) {
        if (buffered.length > 4096) finish({ ok: false, error: 'greeting too long' });
        return;
      }
      const banner = lines
        .slice(0, last + 1)
        .map((l) => l.slice(4))
        .join(' ')
        .trim();
      const code = lines[last].slice(0, 3);
      if (code === '220') finish({ ok: true, banner });
      else finish({ ok: false, banner, error: `SMTP greeting ${code} instead of 220` });
    });
    socket.on('error', (err) => finish({ ok: false, error: err.message || String(err) }));
    socket.on('close', () => finish({ ok: false, error: 'connection closed before the SMTP greeting' }));
  });
}

/** Times one round trip to the database; the caller supplies the query (e.g. Prisma's `SELECT 1`). */
export async function checkDatabase(ping: () => Promise<unknown>, timeoutMs = 3000): Promise<DatabaseHealth> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      ping(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { ok: true, latencyMs: Math.round(performance.now() - started) };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    // Prisma errors span several lines of context; the last line carries the cause.
    const error = message.trim().split('\n').filter(Boolean).pop() ?? 'unknown error';
    return { ok: false, latencyMs: Math.round(performance.now() - started), error };
  } finally {
    clearTimeout(timer);
  }
}

export async function buildHealthReport(options: {
  pingDatabase: () => Promise<unknown>;
  mtaInbound: { host: string; port: number };
  timeoutMs?: number;
}): Promise<HealthReport> {
  const { pingDatabase, mtaInbound, timeoutMs = 2000 } = options;
  const [database, inbound] = await Promise.all([
    checkDatabase(pingDatabase, timeoutMs),
    probeSmtpBanner(mtaInbound.host, mtaInbound.port, timeoutMs),
  ]);
  const mta = inbound.ok ? { ok: true, inbound } : { ok: false, inbound, error: `inbound: ${inbound.error}` };
  return {
    status: database.ok && mta.ok ? 'ok' : 'degraded',
    database,
    mta,
    time: new Date().toISOString(),
  };
}

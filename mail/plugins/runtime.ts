/**
 * The one MtaRuntime of a Haraka process, shared by our plugins. Each plugin is bundled on its
 * own, so module state is per plugin: the instance lives on globalThis, or two spools would
 * compete for one folder.
 */
import { getConfig } from '@/lib/config';
import { getPrisma } from '@/lib/db/client';
import { createMtaRuntime, type MtaRuntime } from '@/mail/mta/provider-runtime';
import { mtaCounters } from '@/lib/metrics/mta-counters';
import { readMtaState } from '@/lib/metrics/mta-state';
import { startMtaStatusServer, type MtaStatusServer } from '@/lib/metrics/status-server';
import type { Socket } from 'node:net';
import type { HarakaConnection } from './haraka';

const globals = globalThis as typeof globalThis & { pecMtaRuntime?: Promise<MtaRuntime>; pecMtaStatus?: Promise<MtaStatusServer> };

export function mtaRuntime(): Promise<MtaRuntime> {
  globals.pecMtaRuntime ??= createMtaRuntime(getConfig(), getPrisma());
  return globals.pecMtaRuntime;
}

/** /metrics and /health on MTA_STATUS_PORT (lib/metrics/status-server.ts), once per process. */
export function mtaStatusServer(): Promise<MtaStatusServer> {
  const config = getConfig();
  globals.pecMtaStatus ??= startMtaStatusServer({
    host: config.mta.host,
    port: config.mta.statusPort,
    counters: mtaCounters(),
    token: config.metricsToken,
    readState: () => readMtaState(getPrisma(), { timeZone: config.provider.timeZone, spoolDir: config.spoolDir }),
  });
  return globals.pecMtaStatus;
}

export async function closeMtaRuntime(): Promise<void> {
  const status = globals.pecMtaStatus;
  globals.pecMtaStatus = undefined;
  await status?.then((s) => s.close()).catch(() => undefined);
  const rt = globals.pecMtaRuntime;
  globals.pecMtaRuntime = undefined;
  await rt?.then((r) => r.close()).catch(() => undefined);
}

/** True on the access point's ports (465-style and 587-style), false on the reception point's. */
export function isSubmissionPort(connection: HarakaConnection): boolean {
  const { submissionTlsPort, submissionStarttlsPort } = getConfig().mta;
  const port = Number(connection.local?.port);
  return port === submissionTlsPort || port === submissionStarttlsPort;
}

/** Without NODELAY every SMTP reply waits on Nagle + delayed ACK (~40 ms per command on loopback). */
export function setNoDelay(connection: HarakaConnection): void {
  // Haraka wraps the socket (tls_socket's pluggableStream, whose own setNoDelay does nothing).
  const client = connection.client as (Socket & { targetsocket?: Socket }) | undefined;
  (client?.targetsocket ?? client)?.setNoDelay?.(true);
}

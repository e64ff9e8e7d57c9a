/**
 * Wires the MTA's parts from the configuration: signer, trust and provider index (database and PKI
 * files, kept current by live-material.ts), the router, the pooled relay, the durable outbound
 * spool, and the reception point over the database. One per Haraka process; the plugins only translate hooks into calls on it.
 */
import type { Config } from '@/lib/config';
import { currentDatabaseUrl, type PrismaClient } from '@/lib/db/client';
import { createSqlPool } from '@/lib/db/sql';
import type { BuildContext, ProviderIndex, Signer, TrustStore } from '@/mail/pec';
import { LiveMtaMaterial, type LiveMaterialOptions } from './live-material';
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { DatabaseMailboxDirectory } from './mailbox-directory';
import { DatabaseLmtpDeliveryRecords, LmtpMessageStore } from './lmtp-delivery';
import { MaildirMessageStore, type MessageStore } from './message-store';
import { archivedOriginalKeepMs, MessageStateStore } from './message-state';
import { TimeoutTimers } from './timers';
import { verifyPassword } from '@/lib/passwords';
import { countingLog, mtaCounters, timedSigner } from '@/lib/metrics/mta-counters';
import { localDelivery } from './local-delivery';
import { InflowGate } from './inflow';
import { ReceptionPoint } from './reception';
import { SubmissionPoint } from './submission';
import { SmtpRelay } from './relay';
import { RelayFailures } from './relay-failure';
import { Router } from './routing';
import { OutboundSpool, type SpoolOutcome } from './spool';
import { DatabaseTransmissionLog } from './transmission-log-db';
import type { TransmissionLogWriter } from './transmission-log';
import { ClamdScanner, describeClamdAddress } from './virus-scan';
import { VirusStore } from './virus-store';

export interface MtaRuntime {
  config: Config;
  signer: Signer;
  trust: TrustStore;
  index: ProviderIndex;
  router: Router;
  relay: SmtpRelay;
  spool: OutboundSpool;
  log: TransmissionLogWriter;
  reception: ReceptionPoint;
  submission: SubmissionPoint;
  state: MessageStateStore;
  timers: TimeoutTimers;
  context: () => BuildContext;
  /** trust and signer as currently loaded; reload() re-reads them now */
  material: LiveMtaMaterial;
  close(): Promise<void>;
}

export async function createMtaRuntime(
  config: Config,
  prisma: PrismaClient,
  options: { onOutcome?: (o: SpoolOutcome) => void; material?: Omit<LiveMaterialOptions, 'wrapSigner'> } = {},
): Promise<MtaRuntime> {
  // metrics (lib/metrics): signing time and events counted for the status endpoint
  const material = await LiveMtaMaterial.start(config, prisma, {
    ...options.material,
    wrapSigner: (s) => timedSigner(s, mtaCounters()),
  });
  // stable objects reading the current snapshot: the reception point and router keep them
  const { trust, index } = material;
  // our configured domain plus every domain verified in the portal, live
  const ownDomains = material.ownDomains;
  const router = new Router({
    staticRoutes: config.mta.staticRoutes,
    ownDomains,
    ownInbound: { host: config.mta.host, port: config.mta.inboundPort },
    isCertifiedDomain: (d) => index.byDomain(d) !== undefined,
  });
  // Between providers the message signature is what proves origin; TLS is opportunistic and
  // peers' certificates (often self-signed on private networks) are not checked here.
  const relay = new SmtpRelay({ heloName: config.provider.mailDomain, tls: { rejectUnauthorized: false } });
  // hot-path statements (state, log, mailboxes) skip Prisma: a small pg pool of their own
  const sql = createSqlPool(config.databaseUrl ?? currentDatabaseUrl());
  const log = countingLog(new DatabaseTransmissionLog(sql), mtaCounters());
  const state = new MessageStateStore(sql, {
    preavvisoSeconds: config.timers.preavvisoSeconds,
    mancataConsegnaSeconds: config.timers.mancataConsegnaSeconds,
    archiveDir: path.join(config.dataDir, 'originals'),
    // a relay failure restates the original until the queue gives up: keep it twice that long
    keepOriginalsMs: Math.max(archivedOriginalKeepMs, 2 * config.queue.maxAgeSeconds * 1000),
    onConsegna: (seconds) => mtaCounters().observeReceiptLatency(seconds),
    // This node across restarts: its host and its spool folder (one per node, on local disk).
    node: createHash('sha256').update(`${os.hostname()}\0${path.resolve(config.spoolDir)}`).digest('hex').slice(0, 16),
  });
  const ownInbound = { host: config.mta.host, port: config.mta.inboundPort };
  const mailboxes = new DatabaseMailboxDirectory(sql);
  const spool: OutboundSpool = new OutboundSpool({
    dir: config.spoolDir,
    router,
    relay,
    maxAgeMs: config.queue.maxAgeSeconds * 1000,
    retryDelaysMs: config.queue.retrySeconds?.map((s) => s * 1000),
    // the reception point is built below (it needs the spool as its outbox)
    deliverLocally: localDelivery((): ReceptionPoint => reception, ownInbound),
    // A busta given up on (refused, expired) throws until its log row and the sender's notice are
    // recorded, so the spool keeps it and reports again (spool.ts): both steps are idempotent.
    onOutcome: async (o) => {
      options.onOutcome?.(o);
      if (o.entry.label !== 'busta-trasporto' || !o.entry.ref) return;
      if (o.type === 'delivered') await state.markRelayed(o.entry.ref, o.recipients);
      const final = o.type === 'refused' || o.type === 'expired';
      for (const recipient of o.recipients) {
        await log.write({
          type: 'BUSTA_RELAYED',
          identificativo: o.entry.ref,
          sender: o.entry.from,
          recipient,
          counterpartProvider:
            index.byDomain(recipient.slice(recipient.lastIndexOf('@') + 1))?.providerName ?? null,
          outcome: o.type === 'delivered' ? 'OK' : o.type === 'deferred' ? 'ERROR' : 'REFUSED',
          details: {
            outcome: o.type,
            ...(o.type === 'delivered' ? { response: o.result.response } : { reason: o.reason }),
          },
          // one final refusal per recipient, however often it is reported
          once: final,
        });
      }
      // The sender hears of a recipient the busta cannot reach: mancata consegna or DSN (relay-failure.ts).
      if (final)
        await relayFailures.handle(o).catch((err: Error) => {
          console.error(
            `[pec-mta] relay failure notice for ${o.entry.ref}: ${err.message} (retried with the entry)`,
          );
          throw err;
        });
    },
  });
  const context = (): BuildContext => ({
    provider: {
      name: config.provider.name,
      domain: config.provider.mailDomain,
      serviceAddress: config.provider.serviceAddress,
      timeZone: config.provider.timeZone,
    },
    signer: material.signer,
    now: new Date(),
  });
  const relayFailures = new RelayFailures({ state, context, outbox: spool, log, index });
  // MTA_DELIVERY: the Maildirs written here, or Dovecot over LMTP (the LMTP store reads the
  // Maildir root, when shared, only to close the crash window described in lmtp-delivery.ts)
  const delivery = config.delivery;
  const store: MessageStore =
    delivery.kind === 'lmtp'
      ? new LmtpMessageStore({
          lmtp: delivery,
          records: new DatabaseLmtpDeliveryRecords(sql),
          envelopeFrom: config.provider.serviceAddress,
          lhloName: config.provider.mailDomain,
          maildirRoot: config.maildirRoot,
        })
      : new MaildirMessageStore(config.maildirRoot);
  // Antivirus (spec §4.1-4.2): said once at start when it is off or clamd does not answer yet.
  const clamav = config.mta.clamav;
  const scanner = clamav ? new ClamdScanner(clamav) : undefined;
  if (!clamav)
    console.warn('[pec-mta] virus scanning DISABLED: MTA_CLAMAV_ADDRESS is not set (production must set it)');
  else if (!(await scanner!.ping()))
    console.warn(
      `[pec-mta] clamd at ${describeClamdAddress(clamav.address)} does not answer: mail gets a temporary failure (4xx) until it does`,
    );
  else console.log(`[pec-mta] virus scanning with clamd at ${describeClamdAddress(clamav.address)}`);
  const virusStore = new VirusStore(config.virusStoreDir);
  // receipts and bustas before new submissions when the MTA is busy (inflow.ts)
  const inflow = new InflowGate(config.mta.inflow);
  mtaCounters().trackInflow(inflow.stats);
  const reception: ReceptionPoint = new ReceptionPoint({
    context,
    trust,
    index,
    ownDomains,
    maildirRoot: config.maildirRoot,
    store,
    mailboxes,
    outbox: spool,
    log,
    state,
    scanner,
    virusStore,
    inflow,
  });
  const submission = new SubmissionPoint({
    context,
    credentials: (address) => mailboxes.credentials(address),
    verifyPassword,
    senderUsage: (address) => mailboxes.find(address),
    isCertified: (d) => router.isCertified(d),
    outbox: spool,
    log,
    limits: config.limits,
    state,
    scanner,
    virusStore,
    inflow,
  });
  const timers = new TimeoutTimers({
    state,
    context,
    outbox: spool,
    log,
    // Check often enough that a notice is never more than a small fraction of its delay late.
    intervalMs: Math.max(200, Math.min(30_000, (config.timers.preavvisoSeconds * 1000) / 20)),
  });
  await spool.start();
  timers.start();
  return {
    config,
    get signer() {
      return material.signer;
    },
    trust,
    index,
    router,
    relay,
    spool,
    log,
    reception,
    submission,
    state,
    timers,
    context,
    material,
    async close() {
      await material.close();
      await timers.stop();
      await spool.stop();
      await relay.close();
      await store.close?.();
      await mailboxes.close().catch((err: Error) => console.error(`mailbox usage not written at shutdown: ${err.message}`));
      await sql.end();
    },
  };
}

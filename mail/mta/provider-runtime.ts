/**
 * Wires the MTA's parts from the configuration: signer and trust material from the PKI files, the
 * provider index, the router, the pooled relay, the durable outbound spool, and the reception point
 * over the database. One per Haraka process; the plugins only translate hooks into calls on it.
 */
import { readFileSync } from 'node:fs';
import type { Config } from '@/lib/config';
import type { PrismaClient } from '@/lib/db/client';
import { createSigner, createTrustStore, parseProviderLdif, type BuildContext, type ProviderIndex, type Signer, type TrustStore } from '@/mail/pec';
import path from 'node:path';
import { DatabaseMailboxDirectory } from './mailbox-directory';
import { MessageStateStore } from './message-state';
import { TimeoutTimers } from './timers';
import { verifyPassword } from '@/lib/passwords';
import { countingLog, mtaCounters, timedSigner } from '@/lib/metrics/mta-counters';
import { ReceptionPoint } from './reception';
import { SubmissionPoint } from './submission';
import { SmtpRelay } from './relay';
import { Router } from './routing';
import { OutboundSpool, type SpoolOutcome } from './spool';
import { DatabaseTransmissionLog } from './transmission-log-db';
import type { TransmissionLogWriter } from './transmission-log';

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
  close(): Promise<void>;
}

const pemBlock = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

function pemToDer(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, ''), 'base64');
}

/** Signer from the key file and the certificate file (signing certificate first, chain after). */
export function loadSigner(config: Config): Signer {
  const certs: string[] = readFileSync(config.pki.signingCertFile, 'utf8').match(pemBlock) ?? [];
  if (certs.length === 0) throw new Error(`${config.pki.signingCertFile}: no certificate`);
  return createSigner({
    keyPem: readFileSync(config.pki.signingKeyFile, 'utf8'),
    certPem: certs[0],
    chainPem: certs.slice(1).join('\n'),
  });
}

/** Trust anchors (CA file) joined with the provider index LDIF. */
export function loadTrust(config: Config): { trust: TrustStore; index: ProviderIndex } {
  const parsed = parseProviderLdif(readFileSync(config.pki.providerIndexFile));
  const cas = (readFileSync(config.pki.trustCaFile, 'utf8').match(pemBlock) ?? []).map(pemToDer);
  return { trust: createTrustStore({ certificates: cas, index: parsed.index }), index: parsed.index };
}

export async function createMtaRuntime(
  config: Config,
  prisma: PrismaClient,
  options: { onOutcome?: (o: SpoolOutcome) => void } = {},
): Promise<MtaRuntime> {
  // metrics (lib/metrics): signing time and events counted for the status endpoint
  const signer = timedSigner(loadSigner(config), mtaCounters());
  const { trust, index } = loadTrust(config);
  const ownDomains = [config.provider.mailDomain];
  const router = new Router({
    staticRoutes: config.mta.staticRoutes,
    ownDomains,
    ownInbound: { host: config.mta.host, port: config.mta.inboundPort },
    isCertifiedDomain: (d) => index.byDomain(d) !== undefined,
  });
  // Between providers the message signature is what proves origin; TLS is opportunistic and
  // peers' certificates (often self-signed on private networks) are not checked here.
  const relay = new SmtpRelay({ heloName: config.provider.mailDomain, tls: { rejectUnauthorized: false } });
  const log = countingLog(new DatabaseTransmissionLog(prisma), mtaCounters());
  const state = new MessageStateStore(prisma, {
    preavvisoSeconds: config.timers.preavvisoSeconds,
    mancataConsegnaSeconds: config.timers.mancataConsegnaSeconds,
    archiveDir: path.join(config.dataDir, 'originals'),
  });
  const spool = new OutboundSpool({
    dir: config.spoolDir,
    router,
    relay,
    onOutcome: async (o) => {
      options.onOutcome?.(o);
      if (o.entry.label !== 'busta-trasporto' || !o.entry.ref) return;
      if (o.type === 'delivered') await state.markRelayed(o.entry.ref, o.recipients);
      for (const recipient of o.recipients) {
        await log.write({
          type: 'BUSTA_RELAYED',
          identificativo: o.entry.ref,
          sender: o.entry.from,
          recipient,
          counterpartProvider: index.byDomain(recipient.slice(recipient.lastIndexOf('@') + 1))?.providerName ?? null,
          outcome: o.type === 'delivered' ? 'OK' : o.type === 'deferred' ? 'ERROR' : 'REFUSED',
          details: { outcome: o.type, ...(o.type === 'delivered' ? { response: o.result.response } : { reason: o.reason }) },
        });
      }
    },
  });
  const context = (): BuildContext => ({
    provider: {
      name: config.provider.name,
      domain: config.provider.mailDomain,
      serviceAddress: config.provider.serviceAddress,
      timeZone: config.provider.timeZone,
    },
    signer,
    now: new Date(),
  });
  const reception = new ReceptionPoint({
    context,
    trust,
    index,
    ownDomains,
    maildirRoot: config.maildirRoot,
    mailboxes: new DatabaseMailboxDirectory(prisma),
    outbox: spool,
    log,
    state,
  });
  const submission = new SubmissionPoint({
    context,
    credentials: async (address) =>
      prisma.mailbox.findUnique({
        where: { address },
        select: { address: true, passwordHash: true, status: true, expiresAt: true },
      }),
    verifyPassword,
    isCertified: (d) => router.isCertified(d),
    outbox: spool,
    log,
    limits: config.limits,
    state,
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
    signer,
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
    async close() {
      await timers.stop();
      await spool.stop();
      await relay.close();
    },
  };
}

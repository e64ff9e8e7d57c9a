/**
 * Complete PEC providers on 127.0.0.1, each with its own database, test CA, signing certificate,
 * mailboxes and Haraka (access point on implicit TLS and STARTTLS ports, reception point on a
 * plain/STARTTLS port), all trusting each other through one generated provider-index LDIF.
 * Used by `npm run demo` and the end-to-end tests.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { findFreePort, startTestDatabase, type TestDatabase } from '@/lib/db/testing';
import { buildPlugins } from '@/mail/plugins/build';
import { selfSignedTls, startHaraka, type HarakaProcess } from './haraka';
import {
  createMailboxes,
  issueProviderPki,
  pkiEnv,
  writeProviderPkiFiles,
  type MailboxSpec,
  type ProviderPki,
} from './provider-fixture';

export interface ProviderSetup {
  key: string;
  name: string;
  domain: string;
  mailboxes: MailboxSpec[];
  /**
   * MTA processes sharing this provider's database and Maildir root (scale-out), default 1. Node i
   * routes the other providers to their node i (modulo their count), so traffic splits by node.
   */
  nodes?: number;
}

/** One MTA process of a provider. */
export interface RunningNode {
  inboundPort: number;
  submissionTlsPort: number;
  submissionStarttlsPort: number;
  statusPort: number;
  spoolDir: string;
  env: NodeJS.ProcessEnv;
  haraka: HarakaProcess;
  restart(): Promise<void>;
}

export interface RunningProvider {
  key: string;
  name: string;
  domain: string;
  host: string;
  inboundPort: number;
  submissionTlsPort: number;
  submissionStarttlsPort: number;
  /** Trust anchor of this provider's signing certificate. */
  caFile: string;
  /** Certificate the MTA presents for TLS (self-signed). */
  tlsCertFile: string;
  maildirRoot: string;
  spoolDir: string;
  pki: ProviderPki;
  db: TestDatabase;
  env: NodeJS.ProcessEnv;
  haraka: HarakaProcess;
  /** Starts this provider's Haraka again (after stop or kill). */
  restart(): Promise<void>;
  /** Every MTA process; the fields above are those of nodes[0]. */
  nodes: RunningNode[];
}

/** The usual pair: Alfa with alice, Beta with bob (and the other local parts given), one password. */
export function alfaBeta(password: string, betaLocalParts: string[] = ['bob']): ProviderSetup[] {
  return [
    {
      key: 'A',
      name: 'Alfa PEC S.p.A.',
      domain: 'pec.alfa.test',
      mailboxes: [{ address: 'alice@pec.alfa.test', password }],
    },
    {
      key: 'B',
      name: 'Beta PEC S.r.l.',
      domain: 'pec.beta.test',
      mailboxes: betaLocalParts.map((local) => ({ address: `${local}@pec.beta.test`, password })),
    },
  ];
}

export interface PecNetwork {
  providers: Record<string, RunningProvider>;
  stop(): Promise<void>;
}

export interface NetworkOptions {
  dir: string;
  providers: ProviderSetup[];
  /** Routes for non-PEC domains (e.g. an ordinary mail sink). */
  extraRoutes?: Record<string, number>;
  /** Extra environment for every MTA (e.g. short timer durations). */
  env?: Record<string, string>;
  echo?: boolean;
}

/**
 * Starts the network. Its ports are picked free beforehand (each provider's inbound port is in the
 * others' routes), so another process may take one before Haraka binds it: then the whole network
 * starts again on fresh ports, up to three times.
 */
export async function startPecNetwork(options: NetworkOptions): Promise<PecNetwork> {
  await buildPlugins(['pec_submission', 'pec_reception']);
  for (let attempt = 1; ; attempt++) {
    try {
      return await startPecNetworkOnce(options);
    } catch (err) {
      if (attempt >= 3 || !/EADDRINUSE/.test((err as Error).message)) throw err;
      for (const p of options.providers) rmSync(path.join(options.dir, p.key), { recursive: true, force: true });
    }
  }
}

async function startPecNetworkOnce(options: NetworkOptions): Promise<PecNetwork> {
  const pkis = options.providers.map((p) => issueProviderPki({ name: p.name, domain: p.domain }));
  const nodePorts = async () => ({
    inbound: await findFreePort(),
    tls: await findFreePort(),
    starttls: await findFreePort(),
    status: await findFreePort(),
  });
  const ports = await Promise.all(
    options.providers.map(async (p) => Promise.all(Array.from({ length: p.nodes ?? 1 }, nodePorts))),
  );
  // Node n of a provider reaches node n (modulo their count) of every other provider.
  const routesFor = (n: number) =>
    [
      ...options.providers.map((p, i) => `${p.domain}=127.0.0.1:${ports[i][n % ports[i].length].inbound}`),
      ...Object.entries(options.extraRoutes ?? {}).map(([d, port]) => `${d}=127.0.0.1:${port}`),
    ].join(',');
  const running: Record<string, RunningProvider> = {};
  try {
    for (const [i, p] of options.providers.entries()) {
      const dir = path.join(options.dir, p.key);
      mkdirSync(dir, { recursive: true });
      const files = writeProviderPkiFiles(path.join(dir, 'pki'), pkis[i], pkis);
      const caFile = path.join(dir, 'pki', 'ca.pem');
      writeFileSync(caFile, pkis[i].ca.rootPem);
      const tls = selfSignedTls(`mx.${p.domain}`);
      const tlsCertFile = path.join(dir, 'pki', 'tls-cert.pem');
      writeFileSync(tlsCertFile, tls.certPem);
      const db = await startTestDatabase();
      await createMailboxes(db.prisma, p.name, p.mailboxes);
      const maildirRoot = path.join(dir, 'maildir');
      const nodes: RunningNode[] = ports[i].map((np, n) => {
        const spoolDir = path.join(dir, n === 0 ? 'spool' : `spool-${n}`);
        const env: NodeJS.ProcessEnv = {
          ...process.env,
          ...pkiEnv(files),
          ...options.env,
          DATABASE_URL: db.url,
          PEC_DATA_DIR: dir,
          MAILDIR_ROOT: maildirRoot,
          MTA_SPOOL_DIR: spoolDir,
          PEC_MAIL_DOMAIN: p.domain,
          PEC_PROVIDER_NAME: p.name,
          MTA_HOST: '127.0.0.1',
          MTA_INBOUND_PORT: String(np.inbound),
          MTA_SUBMISSION_TLS_PORT: String(np.tls),
          MTA_SUBMISSION_STARTTLS_PORT: String(np.starttls),
          MTA_STATUS_PORT: String(np.status),
          MTA_STATIC_ROUTES: routesFor(n),
        };
        const launch = () =>
          startHaraka({
            port: np.inbound,
            extraPorts: [np.starttls],
            smtpsPort: np.tls,
            tls,
            plugins: ['tls', 'pec_submission', 'pec_reception'],
            me: `mx${n === 0 ? '' : n + 1}.${p.domain}`,
            env,
            dir: path.join(dir, n === 0 ? 'haraka' : `haraka-${n}`),
            echo: options.echo,
          });
        const node: RunningNode = {
          inboundPort: np.inbound,
          submissionTlsPort: np.tls,
          submissionStarttlsPort: np.starttls,
          statusPort: np.status,
          spoolDir,
          env,
          haraka: undefined as unknown as HarakaProcess,
          async restart() {
            node.haraka = await launch();
          },
        };
        return node;
      });
      const first = nodes[0];
      const provider: RunningProvider = {
        key: p.key,
        name: p.name,
        domain: p.domain,
        host: '127.0.0.1',
        inboundPort: first.inboundPort,
        submissionTlsPort: first.submissionTlsPort,
        submissionStarttlsPort: first.submissionStarttlsPort,
        caFile,
        tlsCertFile,
        maildirRoot,
        spoolDir: first.spoolDir,
        pki: pkis[i],
        db,
        env: first.env,
        get haraka() {
          return first.haraka;
        },
        set haraka(h: HarakaProcess) {
          first.haraka = h;
        },
        async restart() {
          await first.restart();
        },
        nodes,
      };
      running[p.key] = provider;
      for (const node of nodes) await node.restart();
    }
  } catch (err) {
    for (const r of Object.values(running)) {
      for (const node of r.nodes) await node.haraka?.kill();
      await r.db.stop();
    }
    throw err;
  }
  return {
    providers: running,
    async stop() {
      for (const r of Object.values(running)) for (const node of r.nodes) await node.haraka?.stop();
      for (const r of Object.values(running)) await r.db.stop();
    },
  };
}

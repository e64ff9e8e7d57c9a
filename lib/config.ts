/**
 * The one configuration module, read by the portal, the MTA and the scripts alike.
 * Every setting comes from an environment variable; `loadConfig` validates them all at start and
 * throws a ConfigError naming the offending variable, so a typo never surfaces later as odd behaviour.
 */
import path from 'node:path';
import { z } from 'zod';

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`Invalid configuration: ${variable}: ${message}`);
    this.name = 'ConfigError';
  }
}

const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().positive();
const hostname = z
  .string()
  .min(1)
  .regex(/^[A-Za-z0-9.-]+$/, 'must be a host name (letters, digits, dots, hyphens)');
const domain = z
  .string()
  .min(3)
  .regex(/^(?!-)[a-z0-9-]+(\.[a-z0-9-]+)+$/, 'must be a lower-case DNS domain such as pec.example.it');
const email = z.string().regex(/^[^\s@<>]+@[a-z0-9-]+(\.[a-z0-9-]+)+$/, 'must be a bare e-mail address');

/** Each variable: its schema and, when optional, its default (as the string a user would write). */
const variables = {
  DATABASE_URL: {
    schema: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
      .optional(),
    doc: 'PostgreSQL URL. Unset: an embedded PostgreSQL is started under PEC_DATA_DIR.',
  },
  PEC_DATA_DIR: { schema: z.string().min(1).default('.data'), doc: 'Folder for embedded database, Maildirs, keys.' },
  EMBEDDED_PG_PORT: { schema: port.default(54329), doc: 'Port of the embedded PostgreSQL (loopback only).' },
  PORTAL_HOST: { schema: hostname.default('127.0.0.1'), doc: 'Address the portal listens on.' },
  PORTAL_PORT: { schema: port.default(3000), doc: 'Port of the portal.' },
  PORTAL_URL: { schema: z.string().url().optional(), doc: 'Public URL of the portal (default http://host:port).' },
  MTA_HOST: { schema: hostname.default('127.0.0.1'), doc: 'Address the MTA listens on.' },
  MTA_INBOUND_PORT: { schema: port.default(2525), doc: 'Reception point (MX, port 25 in production).' },
  MTA_SUBMISSION_TLS_PORT: { schema: port.default(4465), doc: 'Access point, implicit TLS (465 in production).' },
  MTA_SUBMISSION_STARTTLS_PORT: { schema: port.default(5587), doc: 'Access point, STARTTLS (587 in production).' },
  MTA_STATUS_PORT: { schema: port.default(8025), doc: 'MTA status/health HTTP endpoint (loopback).' },
  MTA_STATIC_ROUTES: {
    schema: z
      .string()
      .regex(
        /^\s*([a-z0-9.-]+=[A-Za-z0-9.-]+:\d{1,5})(\s*,\s*[a-z0-9.-]+=[A-Za-z0-9.-]+:\d{1,5})*\s*$/,
        'must be domain=host:port[,domain=host:port...]',
      )
      .optional(),
    doc: 'Static SMTP routes (domain=host:port,...) tried before DNS MX, for tests and private networks.',
  },
  PEC_SIGNING_KEY_FILE: { schema: z.string().min(1).optional(), doc: 'PEM private key signing system messages (default PEC_DATA_DIR/pki/signing-key.pem).' },
  PEC_SIGNING_CERT_FILE: { schema: z.string().min(1).optional(), doc: 'PEM signing certificate, chain appended (default PEC_DATA_DIR/pki/signing-cert.pem).' },
  PEC_TRUST_CA_FILE: { schema: z.string().min(1).optional(), doc: 'PEM CA certificates that PEC signatures must chain to (default PEC_DATA_DIR/pki/trusted-ca.pem).' },
  PEC_PROVIDER_INDEX_FILE: { schema: z.string().min(1).optional(), doc: 'Provider index LDIF (default PEC_DATA_DIR/pki/provider-index.ldif).' },
  MTA_SPOOL_DIR: { schema: z.string().min(1).optional(), doc: 'Outbound queue folder (default PEC_DATA_DIR/spool).' },
  MTA_QUEUE_MAX_AGE_SECONDS: { schema: positiveInt.default(24 * 3600), doc: 'Longest a message waits in the outbound queue; then its sender gets a mancata consegna or a DSN (spec §5.1: 24 h).' },
  MTA_RETRY_SECONDS: {
    schema: z
      .string()
      .regex(/^\s*\d+(\s*,\s*\d+)*\s*$/, 'must be seconds[,seconds...]')
      .optional(),
    doc: 'Delays between relay attempts, in seconds (the last repeats); default 5,30,120,600,1800.',
  },
  MTA_CLAMAV_ADDRESS: {
    schema: z
      .string()
      .regex(/^((tcp:\/\/)?[A-Za-z0-9.-]+:\d{1,5}|(unix:)?\/\S+)$/, 'must be host:port, tcp://host:port, unix:/path or /path')
      .optional(),
    doc: 'clamd scanning every submission and every incoming busta (host:port or unix socket). Unset: no virus scan (production must set it).',
  },
  MTA_INFLOW_MAX_DELAY_MS: {
    schema: z.coerce.number().int().min(0).max(60_000).default(1000),
    doc: 'Longest a submission waits while the reception point is busy (receipts and bustas first, mail/mta/inflow.ts); 0 turns the wait off.',
  },
  MTA_INFLOW_MAX_INBOUND: {
    schema: positiveInt.default(3),
    doc: 'Reception transactions in progress above which new submissions wait (at most MTA_INFLOW_MAX_DELAY_MS).',
  },
  MTA_CLAMAV_TIMEOUT_MS: { schema: positiveInt.default(30_000), doc: 'Longest wait for a clamd verdict; past it (or clamd unreachable) the MTA answers a temporary 4xx and the sender retries.' },
  PEC_VIRUS_STORE_DIR: { schema: z.string().min(1).optional(), doc: 'Folder keeping infected messages 30 months (default PEC_DATA_DIR/virus-store).' },
  PEC_PROVIDER_NAME: { schema: z.string().min(1).default('Demo PEC Provider'), doc: 'providerName in the index.' },
  PEC_MAIL_DOMAIN: { schema: domain.default('pec.localhost.test'), doc: 'Domain of the provider’s own addresses.' },
  PEC_SERVICE_ADDRESS: { schema: email.optional(), doc: 'From of system messages (default posta-certificata@PEC_MAIL_DOMAIN).' },
  PEC_TIMEZONE: { schema: z.string().min(1).default('Europe/Rome'), doc: 'Time zone of daticert dates.' },
  PEC_MAX_MESSAGE_BYTES: { schema: positiveInt.default(30 * 1024 * 1024), doc: 'Limit on size × recipients.' },
  PEC_MAX_RECIPIENTS: { schema: positiveInt.default(500), doc: 'Recipient count limit per message.' },
  PEC_PREAVVISO_SECONDS: { schema: positiveInt.default(12 * 3600), doc: 'Delay before the 12 h preavviso.' },
  PEC_MANCATA_CONSEGNA_SECONDS: { schema: positiveInt.default(24 * 3600), doc: 'Delay before the 24 h timeout.' },
  MAILDIR_ROOT: { schema: z.string().min(1).optional(), doc: 'Maildir root (default PEC_DATA_DIR/maildir).' },
  MTA_DELIVERY: {
    schema: z.enum(['maildir', 'lmtp']).default('maildir'),
    doc: 'How the delivery point stores messages: maildir (writes MAILDIR_ROOT itself) or lmtp (hands them to Dovecot at MTA_LMTP_ADDRESS; the consegna follows its 250).',
  },
  MTA_LMTP_ADDRESS: {
    schema: z
      .string()
      .regex(/^[A-Za-z0-9.-]+:\d{1,5}$/, 'must be host:port')
      .optional(),
    doc: 'Dovecot LMTP listener (host:port) used when MTA_DELIVERY=lmtp, e.g. dovecot:24.',
  },
  AUTH_SECRET: { schema: z.string().min(32).optional(), doc: 'Session secret (default: generated once in PEC_DATA_DIR).' },
  PEC_MX_HOSTNAME: { schema: hostname.optional(), doc: 'Public host name of our MX, published in customers’ DNS (default mx.PEC_MAIL_DOMAIN).' },
  PEC_DNS_SERVERS: {
    schema: z
      .string()
      .regex(/^\s*[0-9a-fA-F.:\[\]]+(\s*,\s*[0-9a-fA-F.:\[\]]+)*\s*$/, 'must be IP[:port][,IP[:port]...]')
      .optional(),
    doc: 'DNS servers for domain verification (IP or IP:port, comma-separated). Unset: the system resolver.',
  },
  PEC_BREACHED_PASSWORDS_FILE: { schema: z.string().min(1).optional(), doc: 'Optional list of breached passwords (one a line) refused for mailboxes.' },
  PEC_EXPIRY_GRACE_DAYS: { schema: z.coerce.number().int().min(0).max(3650).default(90), doc: 'Days an expired mailbox stays suspended (readable, cannot send) before it ceases.' },
  PEC_NOTICE_SMTP_HOST: { schema: hostname.optional(), doc: 'SMTP relay sending lifecycle notices (expiry reminders) to holders’ ordinary addresses. Unset: they stay queued.' },
  PEC_NOTICE_SMTP_PORT: { schema: port.default(25), doc: 'Port of PEC_NOTICE_SMTP_HOST.' },
  PEC_NOTICE_SMTP_SECURE: { schema: z.enum(['true', 'false']).default('false'), doc: 'true: implicit TLS (port 465); false: STARTTLS when the relay offers it.' },
  PEC_NOTICE_SMTP_USER: { schema: z.string().min(1).optional(), doc: 'User for SMTP AUTH at the notice relay (unset: no AUTH).' },
  PEC_NOTICE_SMTP_PASSWORD: { schema: z.string().min(1).optional(), doc: 'Password for PEC_NOTICE_SMTP_USER.' },
  PEC_NOTICE_FROM: { schema: email.optional(), doc: 'From of lifecycle notices (default no-reply@PEC_MAIL_DOMAIN).' },
  METRICS_TOKEN: { schema: z.string().min(16).optional(), doc: 'Bearer token for /metrics from other hosts (unset: loopback only).' },
  LOG_LEVEL: { schema: z.enum(['debug', 'info', 'warn', 'error']).default('info'), doc: 'Log verbosity.' },
} as const;

type Variables = typeof variables;
export type ConfigVariable = keyof Variables;
type Raw = { [K in ConfigVariable]: z.output<Variables[K]['schema']> };

export interface Config {
  databaseUrl: string | undefined;
  dataDir: string;
  embeddedPgPort: number;
  portal: { host: string; port: number; url: string };
  mta: {
    host: string;
    inboundPort: number;
    submissionTlsPort: number;
    submissionStarttlsPort: number;
    statusPort: number;
    /** domain → next hop, consulted before DNS MX. */
    staticRoutes: Record<string, { host: string; port: number }>;
    /** clamd for the virus scan; undefined: scanning disabled */
    clamav: { address: { host: string; port: number } | { socketPath: string }; timeoutMs: number } | undefined;
    /** submissions give way to reception (mail/mta/inflow.ts) */
    inflow: { maxDelayMs: number; maxInbound: number };
  };
  /** infected messages, kept 30 months (absolute path) */
  virusStoreDir: string;
  provider: { name: string; mailDomain: string; serviceAddress: string; timeZone: string };
  /** Signing key/certificate and trust material of the PEC MTA (absolute paths). */
  pki: { signingKeyFile: string; signingCertFile: string; trustCaFile: string; providerIndexFile: string };
  spoolDir: string;
  /** outbound queue: lifetime and retry delays (undefined: the spool's defaults) */
  queue: { maxAgeSeconds: number; retrySeconds: number[] | undefined };
  limits: { maxMessageBytes: number; maxRecipients: number };
  timers: { preavvisoSeconds: number; mancataConsegnaSeconds: number };
  maildirRoot: string;
  /** where the delivery point stores messages: the Maildirs itself, or Dovecot over LMTP */
  delivery: { kind: 'maildir' } | { kind: 'lmtp'; host: string; port: number };
  /** domain verification: our MX host name and the resolvers asked (empty: system resolver) */
  dns: { mxHostname: string; servers: string[] };
  /** absolute path of a breached-password list (one a line), if any */
  breachedPasswordsFile: string | undefined;
  authSecret: string | undefined;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** mailbox lifecycle: grace period after expiry before cessation */
  lifecycle: { graceDays: number };
  /** the relay sending lifecycle notices to holders' ordinary addresses (smtp undefined: not sent) */
  notices: {
    from: string;
    smtp: { host: string; port: number; secure: boolean; auth: { user: string; pass: string } | undefined } | undefined;
  };
  /** bearer token accepted by /metrics from non-loopback clients */
  metricsToken: string | undefined;
}

/** Documentation of every variable, used by the README and `npm run config`. */
export function describeVariables(): { name: string; doc: string }[] {
  return Object.entries(variables).map(([name, v]) => ({ name, doc: v.doc }));
}

function isValidTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** `a.test=127.0.0.1:2525,b.test=mx.b.test:25` → { 'a.test': {host, port}, ... } (already syntax-checked). */
function parseStaticRoutes(spec: string | undefined): Record<string, { host: string; port: number }> {
  const routes: Record<string, { host: string; port: number }> = {};
  for (const item of (spec ?? '').split(',')) {
    const m = /^\s*([^=\s]+)=([^:\s]+):(\d+)\s*$/.exec(item);
    if (!m) continue;
    const port = Number(m[3]);
    if (port < 1 || port > 65535) throw new ConfigError('MTA_STATIC_ROUTES', `port out of range in ${item.trim()}`);
    routes[m[1]] = { host: m[2], port };
  }
  return routes;
}

function parseClamavAddress(value: string): { host: string; port: number } | { socketPath: string } {
  const v = value.trim();
  if (v.startsWith('unix:') || v.startsWith('/')) return { socketPath: v.replace(/^unix:/, '') };
  const [host, port] = v.replace(/^tcp:\/\//, '').split(':');
  if (Number(port) < 1 || Number(port) > 65535) throw new ConfigError('MTA_CLAMAV_ADDRESS', `port out of range in ${v}`);
  return { host, port: Number(port) };
}

// A plain record, not NodeJS.ProcessEnv: Next's types make NODE_ENV a required key of ProcessEnv.
export function loadConfig(
  env: Readonly<Record<string, string | undefined>> = process.env,
  cwd: string = process.cwd(),
): Config {
  const raw = {} as Record<string, unknown>;
  for (const [name, v] of Object.entries(variables)) {
    const value = env[name];
    const parsed = v.schema.safeParse(value === '' ? undefined : value);
    if (!parsed.success) {
      throw new ConfigError(name, `${parsed.error.issues[0]?.message ?? 'invalid'} (got ${JSON.stringify(value)})`);
    }
    raw[name] = parsed.data;
  }
  const r = raw as Raw;
  if (!isValidTimeZone(r.PEC_TIMEZONE)) throw new ConfigError('PEC_TIMEZONE', `unknown time zone ${r.PEC_TIMEZONE}`);
  if (r.PEC_PREAVVISO_SECONDS >= r.PEC_MANCATA_CONSEGNA_SECONDS) {
    throw new ConfigError('PEC_PREAVVISO_SECONDS', 'must be shorter than PEC_MANCATA_CONSEGNA_SECONDS');
  }
  if (r.PEC_NOTICE_SMTP_USER && !r.PEC_NOTICE_SMTP_PASSWORD)
    throw new ConfigError('PEC_NOTICE_SMTP_PASSWORD', 'must be set when PEC_NOTICE_SMTP_USER is');
  let delivery: Config['delivery'] = { kind: 'maildir' };
  if (r.MTA_DELIVERY === 'lmtp') {
    if (!r.MTA_LMTP_ADDRESS) throw new ConfigError('MTA_LMTP_ADDRESS', 'must be set when MTA_DELIVERY=lmtp');
    const at = r.MTA_LMTP_ADDRESS.lastIndexOf(':');
    const lmtpPort = Number(r.MTA_LMTP_ADDRESS.slice(at + 1));
    if (lmtpPort < 1 || lmtpPort > 65535) throw new ConfigError('MTA_LMTP_ADDRESS', `port out of range (got ${JSON.stringify(r.MTA_LMTP_ADDRESS)})`);
    delivery = { kind: 'lmtp', host: r.MTA_LMTP_ADDRESS.slice(0, at), port: lmtpPort };
  }
  const dataDir = path.resolve(cwd, r.PEC_DATA_DIR);
  return {
    databaseUrl: r.DATABASE_URL,
    dataDir,
    embeddedPgPort: r.EMBEDDED_PG_PORT,
    portal: { host: r.PORTAL_HOST, port: r.PORTAL_PORT, url: r.PORTAL_URL ?? `http://${r.PORTAL_HOST}:${r.PORTAL_PORT}` },
    mta: {
      host: r.MTA_HOST,
      inboundPort: r.MTA_INBOUND_PORT,
      submissionTlsPort: r.MTA_SUBMISSION_TLS_PORT,
      submissionStarttlsPort: r.MTA_SUBMISSION_STARTTLS_PORT,
      statusPort: r.MTA_STATUS_PORT,
      staticRoutes: parseStaticRoutes(r.MTA_STATIC_ROUTES),
      clamav: r.MTA_CLAMAV_ADDRESS ? { address: parseClamavAddress(r.MTA_CLAMAV_ADDRESS), timeoutMs: r.MTA_CLAMAV_TIMEOUT_MS } : undefined,
      inflow: { maxDelayMs: r.MTA_INFLOW_MAX_DELAY_MS, maxInbound: r.MTA_INFLOW_MAX_INBOUND },
    },
    virusStoreDir: path.resolve(cwd, r.PEC_VIRUS_STORE_DIR ?? path.join(r.PEC_DATA_DIR, 'virus-store')),
    provider: {
      name: r.PEC_PROVIDER_NAME,
      mailDomain: r.PEC_MAIL_DOMAIN,
      serviceAddress: r.PEC_SERVICE_ADDRESS ?? `posta-certificata@${r.PEC_MAIL_DOMAIN}`,
      timeZone: r.PEC_TIMEZONE,
    },
    pki: {
      signingKeyFile: path.resolve(cwd, r.PEC_SIGNING_KEY_FILE ?? path.join(r.PEC_DATA_DIR, 'pki', 'signing-key.pem')),
      signingCertFile: path.resolve(cwd, r.PEC_SIGNING_CERT_FILE ?? path.join(r.PEC_DATA_DIR, 'pki', 'signing-cert.pem')),
      trustCaFile: path.resolve(cwd, r.PEC_TRUST_CA_FILE ?? path.join(r.PEC_DATA_DIR, 'pki', 'trusted-ca.pem')),
      providerIndexFile: path.resolve(cwd, r.PEC_PROVIDER_INDEX_FILE ?? path.join(r.PEC_DATA_DIR, 'pki', 'provider-index.ldif')),
    },
    spoolDir: path.resolve(cwd, r.MTA_SPOOL_DIR ?? path.join(r.PEC_DATA_DIR, 'spool')),
    queue: { maxAgeSeconds: r.MTA_QUEUE_MAX_AGE_SECONDS, retrySeconds: r.MTA_RETRY_SECONDS?.split(',').map((x) => Number(x.trim())) },
    limits: { maxMessageBytes: r.PEC_MAX_MESSAGE_BYTES, maxRecipients: r.PEC_MAX_RECIPIENTS },
    timers: { preavvisoSeconds: r.PEC_PREAVVISO_SECONDS, mancataConsegnaSeconds: r.PEC_MANCATA_CONSEGNA_SECONDS },
    maildirRoot: path.resolve(cwd, r.MAILDIR_ROOT ?? path.join(r.PEC_DATA_DIR, 'maildir')),
    delivery,
    dns: {
      mxHostname: r.PEC_MX_HOSTNAME ?? `mx.${r.PEC_MAIL_DOMAIN}`,
      servers: (r.PEC_DNS_SERVERS ?? '').split(',').map((s) => s.trim()).filter(Boolean),
    },
    breachedPasswordsFile: r.PEC_BREACHED_PASSWORDS_FILE ? path.resolve(cwd, r.PEC_BREACHED_PASSWORDS_FILE) : undefined,
    authSecret: r.AUTH_SECRET,
    logLevel: r.LOG_LEVEL,
    lifecycle: { graceDays: r.PEC_EXPIRY_GRACE_DAYS },
    notices: {
      from: r.PEC_NOTICE_FROM ?? `no-reply@${r.PEC_MAIL_DOMAIN}`,
      smtp: r.PEC_NOTICE_SMTP_HOST
        ? {
            host: r.PEC_NOTICE_SMTP_HOST,
            port: r.PEC_NOTICE_SMTP_PORT,
            secure: r.PEC_NOTICE_SMTP_SECURE === 'true',
            auth: r.PEC_NOTICE_SMTP_USER ? { user: r.PEC_NOTICE_SMTP_USER, pass: r.PEC_NOTICE_SMTP_PASSWORD! } : undefined,
          }
        : undefined,
    },
    metricsToken: r.METRICS_TOKEN,
  };
}

let cached: Config | undefined;
/** The process-wide configuration, validated once. */
export function getConfig(): Config {
  cached ??= loadConfig();
  return cached;
}

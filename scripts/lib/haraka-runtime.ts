/**
 * Haraka reads its listen addresses and host names from files, not from the environment, so
 * `npm start` materialises a runtime directory under PEC_DATA_DIR from the source configuration in
 * `mail/haraka/` plus the values of lib/config.ts. The generated files are rewritten at every start.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '@/lib/config';
import type { MtaTlsFiles } from './mta-material';

export const harakaSourceDir = path.resolve(__dirname, '..', '..', 'mail', 'haraka');
/** Compiled plugin folders (npm run build:mta), linked as the runtime's plugins/. */
export const pluginsDir = path.resolve(__dirname, '..', '..', 'mail', 'plugins');

/** Formats a listen address the way Haraka's smtp.ini expects (IPv6 in brackets). */
export function listenAddress(host: string, port: number): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Replaces (or adds) `key=value` in the [main] section of an ini text, keeping everything else. */
export function setMainIniValue(ini: string, key: string, value: string): string {
  const lines = ini.split('\n');
  let section = 'main'; // keys before any header belong to [main]
  let insertAt = 0;
  for (let i = 0; i < lines.length; i++) {
    const header = /^\s*\[([^\]]+)\]\s*$/.exec(lines[i]);
    if (header) {
      section = header[1].trim();
      if (section === 'main') insertAt = i + 1;
      continue;
    }
    if (section !== 'main') continue;
    if (new RegExp(`^\\s*${key}\\s*=`).test(lines[i])) {
      lines[i] = `${key}=${value}`;
      return lines.join('\n');
    }
    if (lines[i].trim() !== '') insertAt = i + 1;
  }
  lines.splice(insertAt, 0, `${key}=${value}`);
  return lines.join('\n');
}

export interface HarakaRuntimeOptions {
  /** Runtime folder (the `-c` argument of `haraka`). */
  dir: string;
  /** Listen addresses, `host:port` (see listenAddress). */
  listen: string[];
  /** The listen port served with implicit TLS (465-style), if any. */
  smtpsPort?: number;
  /** Certificate for STARTTLS and implicit TLS (PEM). Without it, plain SMTP only. */
  tls?: { keyPem: string; certPem: string };
  /** Plugin list; default the template's `config/plugins`. */
  plugins?: string[];
  /** Host name for the greeting and Received headers; default the template's `me`. */
  me?: string;
  /** Domains accepted by rcpt_to.in_host_list. */
  hostList?: string[];
  /** Seconds SIGINT waits for open sessions; default the template's. */
  forceShutdownSeconds?: number;
  /** Further config files (name → content), e.g. a plugin's .ini; written last. */
  configFiles?: Record<string, string>;
  /** Folder holding `config/` (the template); default mail/haraka. */
  sourceDir?: string;
  /** LOG_LEVEL of lib/config.ts; default the template's log.ini. */
  logLevel?: Config['logLevel'];
}

/**
 * Haraka's level for our LOG_LEVEL. Haraka's INFO traces every hook of every transaction (a dozen
 * stdout writes per message, a few % of the MTA's CPU under load); NOTICE keeps one line per
 * connection, sender, recipient, queue outcome and disconnect, which is what operators read.
 */
export const harakaLogLevel: Record<Config['logLevel'], string> = {
  debug: 'info',
  info: 'notice',
  warn: 'warn',
  error: 'error',
};

let ffdhe2048Pem: string | undefined;

/** The RFC 7919 ffdhe2048 group as DH PARAMETERS PEM: a standard group, so nothing to generate. */
function ffdhe2048(): string {
  if (!ffdhe2048Pem) {
    const r = spawnSync(
      'openssl',
      ['genpkey', '-genparam', '-algorithm', 'DH', '-pkeyopt', 'group:ffdhe2048'],
      {
        encoding: 'utf8',
      },
    );
    if (r.status !== 0) throw new Error(`openssl genpkey -genparam failed: ${r.stderr || r.error?.message}`);
    ffdhe2048Pem = r.stdout;
  }
  return ffdhe2048Pem;
}

/**
 * The one writer of Haraka runtime folders (npm start, the MTA container, the demo and the MTA
 * tests). config/ is copied from the template (so generated files never land in the source tree)
 * and rewritten at every call; plugins/ is a link to mail/plugins, so the compiled plugin folders
 * resolve their dependencies from the repository's node_modules.
 */
export function writeHarakaRuntime(options: HarakaRuntimeOptions): string {
  const sourceDir = options.sourceDir ?? harakaSourceDir;
  const configDir = path.join(options.dir, 'config');
  rmSync(configDir, { recursive: true, force: true });
  mkdirSync(configDir, { recursive: true });
  cpSync(path.join(sourceDir, 'config'), configDir, { recursive: true });

  const smtpIniPath = path.join(configDir, 'smtp.ini');
  let smtpIni = existsSync(smtpIniPath) ? readFileSync(smtpIniPath, 'utf8') : '[main]\n';
  smtpIni = setMainIniValue(smtpIni, 'listen', options.listen.join(','));
  smtpIni = setMainIniValue(smtpIni, 'nodes', '0');
  if (options.smtpsPort) smtpIni = setMainIniValue(smtpIni, 'smtps_port', String(options.smtpsPort));
  if (options.forceShutdownSeconds !== undefined) {
    smtpIni = setMainIniValue(smtpIni, 'force_shutdown_timeout', String(options.forceShutdownSeconds));
  }
  writeFileSync(smtpIniPath, smtpIni);
  if (options.logLevel) {
    const logIniPath = path.join(configDir, 'log.ini');
    const logIni = existsSync(logIniPath) ? readFileSync(logIniPath, 'utf8') : '[main]\n';
    writeFileSync(logIniPath, setMainIniValue(logIni, 'level', harakaLogLevel[options.logLevel]));
  }

  if (options.tls) {
    // Copied in: Haraka reads key= and cert= relative to its config folder.
    writeFileSync(path.join(configDir, 'tls_key.pem'), options.tls.keyPem, { mode: 0o600 });
    writeFileSync(path.join(configDir, 'tls_cert.pem'), options.tls.certPem);
    writeFileSync(path.join(configDir, 'tls.ini'), '[main]\nkey=tls_key.pem\ncert=tls_cert.pem\n');
    // Without dhparams.pem Haraka runs `openssl dhparam 2048` at every start (seconds to a minute of CPU).
    writeFileSync(path.join(configDir, 'dhparams.pem'), ffdhe2048());
  }
  if (options.plugins) writeFileSync(path.join(configDir, 'plugins'), `${options.plugins.join('\n')}\n`);
  // `me` names this host in the greeting and in Received headers.
  if (options.me) writeFileSync(path.join(configDir, 'me'), `${options.me}\n`);
  if (options.hostList) writeFileSync(path.join(configDir, 'host_list'), `${options.hostList.join('\n')}\n`);
  for (const [name, content] of Object.entries(options.configFiles ?? {})) {
    writeFileSync(path.join(configDir, path.basename(name)), content);
  }

  const pluginsLink = path.join(options.dir, 'plugins');
  rmSync(pluginsLink, { recursive: true, force: true });
  symlinkSync(pluginsDir, pluginsLink, 'dir');
  return options.dir;
}

/** The PEC plugins, in hook order after tls (which must come first to offer STARTTLS). */
export const pecPlugins = ['pec_submission', 'pec_reception'];

/**
 * Writes `<dataDir>/haraka/` from lib/config.ts and returns its path. With `tls` (see
 * scripts/lib/mta-material.ts) the MTA runs the PEC plugins: reception point on MTA_INBOUND_PORT,
 * access point on MTA_SUBMISSION_STARTTLS_PORT and MTA_SUBMISSION_TLS_PORT (implicit TLS).
 * Without it, only the template's plugins on the inbound port (no PEC material needed).
 */
export function prepareHarakaRuntime(
  config: Config,
  options: { tls?: MtaTlsFiles; sourceDir?: string } = {},
): string {
  const { host, inboundPort, submissionStarttlsPort, submissionTlsPort } = config.mta;
  const pec = options.tls !== undefined;
  const ports = pec ? [inboundPort, submissionStarttlsPort, submissionTlsPort] : [inboundPort];
  return writeHarakaRuntime({
    dir: path.join(config.dataDir, 'haraka'),
    listen: ports.map((port) => listenAddress(host, port)),
    smtpsPort: pec ? submissionTlsPort : undefined,
    tls: options.tls && {
      keyPem: readFileSync(options.tls.keyFile, 'utf8'),
      certPem: readFileSync(options.tls.certFile, 'utf8'),
    },
    plugins: pec ? ['tls', ...pecPlugins] : undefined,
    me: existsSync(path.join(options.sourceDir ?? harakaSourceDir, 'config', 'me'))
      ? undefined
      : config.provider.mailDomain,
    hostList: [config.provider.mailDomain],
    sourceDir: options.sourceDir,
    logLevel: config.logLevel,
  });
}

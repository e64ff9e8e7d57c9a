/**
 * Haraka reads its listen addresses and host names from files, not from the environment, so
 * `npm start` materialises a runtime directory under PEC_DATA_DIR from the source configuration in
 * `mail/haraka/` plus the values of lib/config.ts. The generated files are rewritten at every start.
 */
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '@/lib/config';

export const harakaSourceDir = path.resolve(__dirname, '..', '..', 'mail', 'haraka');

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

/**
 * Writes `<dataDir>/haraka/` and returns its path, the `-c` argument of `haraka`.
 * config/ is copied (so generated files never land in the source tree); plugins/ is a link, so
 * compiled plugin folders resolve their dependencies from the repository's node_modules.
 */
export function prepareHarakaRuntime(config: Config, sourceDir: string = harakaSourceDir): string {
  const runtimeDir = path.join(config.dataDir, 'haraka');
  const configDir = path.join(runtimeDir, 'config');
  rmSync(configDir, { recursive: true, force: true });
  mkdirSync(configDir, { recursive: true });
  cpSync(path.join(sourceDir, 'config'), configDir, { recursive: true });

  const smtpIniPath = path.join(configDir, 'smtp.ini');
  let smtpIni = existsSync(smtpIniPath) ? readFileSync(smtpIniPath, 'utf8') : '[main]\n';
  smtpIni = setMainIniValue(smtpIni, 'listen', listenAddress(config.mta.host, config.mta.inboundPort));
  smtpIni = setMainIniValue(smtpIni, 'nodes', '0');
  writeFileSync(smtpIniPath, smtpIni);

  // `me` names this host in the greeting and in Received headers.
  if (!existsSync(path.join(configDir, 'me')))
    writeFileSync(path.join(configDir, 'me'), `${config.provider.mailDomain}\n`);
  writeFileSync(path.join(configDir, 'host_list'), `${config.provider.mailDomain}\n`);

  const pluginsLink = path.join(runtimeDir, 'plugins');
  rmSync(pluginsLink, { recursive: true, force: true });
  const pluginsSource = path.join(sourceDir, 'plugins');
  if (existsSync(pluginsSource)) symlinkSync(pluginsSource, pluginsLink, 'dir');
  return runtimeDir;
}

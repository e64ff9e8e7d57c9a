/**
 * Starts a real Haraka for tests and the demo: a runtime folder with the project's base config
 * (mail/haraka/config), our plugin list and listen address, and `plugins/` linked to mail/plugins
 * so the compiled plugin folders load through a normal `require`.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { writeHarakaRuntime as writeRuntime } from '@/scripts/lib/haraka-runtime';

const repoRoot = path.resolve(__dirname, '..', '..', '..');
const harakaBin = path.join(repoRoot, 'node_modules', 'Haraka', 'bin', 'haraka');

export interface HarakaOptions {
  /** Port the readiness probe uses (the first listening port). */
  port: number;
  /** Further plain/STARTTLS ports. */
  extraPorts?: number[];
  /** Port served with implicit TLS (465-style). */
  smtpsPort?: number;
  /** Certificate for STARTTLS and implicit TLS (PEM). Without it the MTA speaks plain SMTP only. */
  tls?: { keyPem: string; certPem: string };
  plugins: string[];
  /** Environment of the Haraka process (the plugins read lib/config from it). */
  env: NodeJS.ProcessEnv;
  /** Runtime folder; default a new temp folder. */
  dir?: string;
  /** Host name for `me` (greeting, Received). */
  me?: string;
  /** Echo Haraka's output (debugging). */
  echo?: boolean;
  /** Domains accepted by rcpt_to.in_host_list. */
  hostList?: string[];
  /** Further config files (name → content). */
  configFiles?: Record<string, string>;
}

export interface HarakaProcess {
  port: number;
  dir: string;
  child: ChildProcess;
  output: () => string;
  /** Graceful stop (SIGINT, as Haraka expects). */
  stop: () => Promise<void>;
  /** kill -9. */
  kill: () => Promise<void>;
}

/** Waits for a 220 greeting on `port` or, for an implicit-TLS port (`tls`), for it to accept connections. */
function waitForBanner(port: number, timeoutMs: number, child: ChildProcess, tls = false): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      if (child.exitCode !== null) return reject(new Error(`haraka exited with ${child.exitCode}`));
      const socket = net.connect({ host: '127.0.0.1', port });
      if (tls) {
        socket.once('connect', () => {
          socket.destroy();
          resolve();
        });
      }
      socket.once('data', (d) => {
        socket.destroy();
        if (d.toString().startsWith('220')) resolve();
        else retry();
      });
      socket.once('error', () => retry());
    };
    const retry = () => {
      if (Date.now() > deadline) reject(new Error(`haraka did not answer on port ${port}`));
      else setTimeout(attempt, 100);
    };
    attempt();
  });
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise((resolve) => child.once('exit', () => resolve()));
}

/** A self-signed certificate for an MTA host name (openssl), for STARTTLS and implicit TLS. */
export function selfSignedTls(hostName: string): { keyPem: string; certPem: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pec-tls-'));
  try {
    const r = spawnSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '30',
        '-subj',
        `/CN=${hostName}`,
        '-addext',
        `subjectAltName=DNS:${hostName},IP:127.0.0.1`,
        '-keyout',
        path.join(dir, 'key.pem'),
        '-out',
        path.join(dir, 'cert.pem'),
      ],
      { encoding: 'utf8' },
    );
    if (r.status !== 0) throw new Error(`openssl req failed: ${r.stderr}`);
    return {
      keyPem: readFileSync(path.join(dir, 'key.pem'), 'utf8'),
      certPem: readFileSync(path.join(dir, 'cert.pem'), 'utf8'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function writeHarakaRuntime(options: HarakaOptions): string {
  const ports = [
    options.port,
    ...(options.extraPorts ?? []),
    ...(options.smtpsPort ? [options.smtpsPort] : []),
  ];
  return writeRuntime({
    dir: options.dir ?? mkdtempSync(path.join(os.tmpdir(), 'pec-haraka-')),
    listen: ports.map((p) => `127.0.0.1:${p}`),
    smtpsPort: options.smtpsPort,
    tls: options.tls,
    plugins: options.plugins,
    me: options.me ?? 'mta.localhost.test',
    hostList: options.hostList,
    configFiles: options.configFiles,
    forceShutdownSeconds: 3,
  });
}

const children = new Set<ChildProcess>();
// A test process that dies (or a test runner that kills it) must not leave MTAs listening.
process.once('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

/** Starts Haraka and waits for its greeting. */
export async function startHaraka(options: HarakaOptions): Promise<HarakaProcess> {
  const dir = writeHarakaRuntime(options);
  let output = '';
  // PEC_HARAKA_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") profiles the MTAs of a bench.
  const nodeArgs = (process.env.PEC_HARAKA_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, harakaBin, '-c', dir], {
    cwd: dir,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  const collect = (d: Buffer) => {
    output += d.toString();
    if (output.length > 2_000_000) output = output.slice(-1_000_000);
    if (options.echo) process.stderr.write(d);
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  try {
    await waitForBanner(options.port, 30_000, child);
    // Every listener is up, not only the first (a test may use the submission port at once).
    for (const port of options.extraPorts ?? []) await waitForBanner(port, 10_000, child);
    if (options.smtpsPort) await waitForBanner(options.smtpsPort, 10_000, child, true);
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`${(err as Error).message}\n${output.slice(-4000)}`);
  }
  return {
    port: options.port,
    dir,
    child,
    output: () => output,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 8000);
      await exited(child);
      clearTimeout(timer);
    },
    kill: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await exited(child);
    },
  };
}

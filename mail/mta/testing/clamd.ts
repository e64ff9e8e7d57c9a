/**
 * A real clamd for tests, with no internet: freshclam cannot fetch signatures, so the test writes a
 * one-signature database (the EICAR test string) and runs Debian's clamd in the foreground on a
 * free 127.0.0.1 port. The tiny database loads in well under a second.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findFreePort } from '@/lib/db/testing';
import { ensureDebianPackages } from '@/scripts/lib/system-packages';
import { ClamdScanner } from '../virus-scan';

/**
 * The EICAR anti-malware test file (harmless by design). Assembled at run time so that this source
 * file is not itself flagged by a scanner on a developer's machine.
 */
export const eicar = Buffer.from(
  ['X5O!P%@AP[4\\PZX54(P^)7CC)7}$', 'EICAR-STANDARD-ANTIVIRUS', '-TEST-FILE!$H+H*'].join(''),
  'latin1',
);
/** Our signature's name in the database, and what clamd reports (unofficial databases get a suffix). */
const signatureName = 'Pec-Test.EICAR';
export const eicarSignatureName = `${signatureName}.UNOFFICIAL`;

export interface TestClamd {
  host: string;
  port: number;
  /** `host:port`, as MTA_CLAMAV_ADDRESS. */
  address: string;
  /** The same clamd on a unix socket. */
  socketPath: string;
  scanner: ClamdScanner;
  /** Stops clamd (SIGTERM); start() runs it again on the same port. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops clamd and removes its folder. */
  close(): Promise<void>;
}

export async function startTestClamd(options: { echo?: boolean } = {}): Promise<TestClamd> {
  ensureDebianPackages({ clamd: 'clamav-daemon' });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pec-clamd-'));
  const db = path.join(dir, 'db');
  mkdirSync(db);
  // Extended signature (.ndb): name, any target type, any offset, hex of the EICAR string.
  writeFileSync(path.join(db, 'pec-test.ndb'), `${signatureName}:0:*:${eicar.toString('hex')}\n`);
  const port = await findFreePort();
  const conf = path.join(dir, 'clamd.conf');
  writeFileSync(
    conf,
    [
      'Foreground yes',
      `TCPSocket ${port}`,
      'TCPAddr 127.0.0.1',
      `LocalSocket ${path.join(dir, 'clamd.sock')}`,
      `DatabaseDirectory ${db}`,
      `TemporaryDirectory ${dir}`,
      `LogFile ${path.join(dir, 'clamd.log')}`,
      // no self-check reloads, no privilege drop: a short-lived test daemon owned by whoever runs it
      'SelfCheck 0',
      // small, so a test can cross it; production sets it above PEC_MAX_MESSAGE_BYTES
      'StreamMaxLength 8M',
      '',
    ].join('\n'),
  );
  const scanner = new ClamdScanner({ address: { host: '127.0.0.1', port }, timeoutMs: 5000 });
  let child: ChildProcess | undefined;

  const start = async () => {
    if (child && child.exitCode === null) return;
    const proc = spawn('clamd', ['-c', conf], { stdio: ['ignore', options.echo ? 'inherit' : 'ignore', 'pipe'] });
    child = proc;
    let stderr = '';
    proc.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const deadline = Date.now() + 20_000;
    while (!(await scanner.ping())) {
      if (proc.exitCode !== null) throw new Error(`clamd exited (${proc.exitCode}): ${stderr.trim()}`);
      if (Date.now() > deadline) {
        proc.kill('SIGKILL');
        throw new Error(`clamd did not answer PING within 20 s: ${stderr.trim()}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const stop = async () => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  await start();
  return {
    host: '127.0.0.1',
    port,
    address: `127.0.0.1:${port}`,
    socketPath: path.join(dir, 'clamd.sock'),
    scanner,
    start,
    stop,
    async close() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

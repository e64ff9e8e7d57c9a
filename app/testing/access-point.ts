/**
 * The real PEC access point for portal tests: our Haraka with the PEC plugins, started on free
 * loopback ports against the portal's test database, so a password set in the portal is proved by
 * an SMTP AUTH over implicit TLS, exactly as a customer's mail program would do it. The signing
 * material is a throw-away test CA; the TLS certificate is self-signed.
 *
 *   const mta = await startAccessPoint(portal.db);
 *   assert.equal(await mta.login('nome@pec.example.it', password), 'accepted');
 *   await mta.stop();
 */
import { mkdirSync } from 'node:fs';
import tls from 'node:tls';
import path from 'node:path';
import nodemailer from 'nodemailer';
import { findFreePort, type TestDatabase } from '@/lib/db/testing';
import { selfSignedTls, startHaraka, type HarakaProcess } from '@/mail/mta/testing/haraka';
import { issueProviderPki, pkiEnv, writeProviderPkiFiles } from '@/mail/mta/testing/provider-fixture';
import { ensureMtaBuild } from '@/scripts/lib/mta-build';
import { pecPlugins } from '@/scripts/lib/haraka-runtime';

export interface AccessPoint {
  /** implicit-TLS submission port (465-style) */
  port: number;
  haraka: HarakaProcess;
  /** SMTP AUTH over TLS: 'accepted' (235) or the server's refusal code (535 for bad credentials). */
  login(user: string, password: string): Promise<'accepted' | number>;
  stop(): Promise<void>;
}

export async function startAccessPoint(db: TestDatabase, mailDomain = 'pec.gestore.test'): Promise<AccessPoint> {
  await ensureMtaBuild(() => {});
  const dir = path.join(db.dir, 'access-point');
  mkdirSync(dir, { recursive: true });
  const pki = issueProviderPki({ name: 'Gestore Test', domain: mailDomain });
  const files = writeProviderPkiFiles(path.join(dir, 'pki'), pki, [pki]);
  const [inbound, tlsPort, starttls, status] = [await findFreePort(), await findFreePort(), await findFreePort(), await findFreePort()];
  const haraka = await startHaraka({
    port: inbound,
    extraPorts: [starttls],
    smtpsPort: tlsPort,
    tls: selfSignedTls(`mx.${mailDomain}`),
    plugins: ['tls', ...pecPlugins],
    me: `mx.${mailDomain}`,
    dir: path.join(dir, 'haraka'),
    env: {
      ...process.env,
      ...pkiEnv(files),
      DATABASE_URL: db.url,
      PEC_DATA_DIR: dir,
      MAILDIR_ROOT: path.join(dir, 'maildir'),
      MTA_SPOOL_DIR: path.join(dir, 'spool'),
      PEC_MAIL_DOMAIN: mailDomain,
      PEC_PROVIDER_NAME: 'Gestore Test',
      MTA_HOST: '127.0.0.1',
      MTA_INBOUND_PORT: String(inbound),
      MTA_SUBMISSION_TLS_PORT: String(tlsPort),
      MTA_SUBMISSION_STARTTLS_PORT: String(starttls),
      MTA_STATUS_PORT: String(status),
    },
  });
  // Haraka greets on the first port before its SMTPS listener is up
  await untilGreeting(tlsPort, haraka);
  return {
    port: tlsPort,
    haraka,
    async login(user, password) {
      const transport = nodemailer.createTransport({
        host: '127.0.0.1',
        port: tlsPort,
        secure: true,
        tls: { rejectUnauthorized: false },
        auth: { user, pass: password },
      });
      try {
        await transport.verify(); // EHLO + AUTH, no message
        return 'accepted';
      } catch (err) {
        const code = (err as { responseCode?: number }).responseCode;
        if (typeof code === 'number') return code;
        throw err;
      } finally {
        transport.close();
      }
    },
    stop: () => haraka.stop(),
  };
}

/** Waits until the implicit-TLS port answers with a 220 greeting. */
async function untilGreeting(port: number, haraka: HarakaProcess, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const greeted = await new Promise<boolean>((resolve) => {
      const socket = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false });
      socket.once('data', (d) => {
        socket.destroy();
        resolve(d.toString().startsWith('220'));
      });
      socket.once('error', () => resolve(false));
    });
    if (greeted) return;
    if (Date.now() > deadline) throw new Error(`no SMTPS greeting on ${port}:\n${haraka.output().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

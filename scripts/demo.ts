/**
 * `npm run demo`: two complete PEC providers on 127.0.0.1 — A (pec.alfa.test) and B (pec.beta.test),
 * each with its own database, test CA, signing certificate and Haraka — trusting each other through
 * a generated provider-index LDIF. Writes `<PEC_DATA_DIR>/demo.json` so any SMTP client (swaks,
 * Thunderbird, the tests) can drive it, and runs until interrupted.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { getConfig } from '@/lib/config';
import { generatePassword } from '@/lib/passwords';
import { startPecNetwork, type RunningProvider } from '@/mail/mta/testing/pec-network';

const accounts = {
  A: { name: 'Alfa PEC S.p.A.', domain: 'pec.alfa.test', users: ['alice'] },
  B: { name: 'Beta PEC S.r.l.', domain: 'pec.beta.test', users: ['bob', 'carol'] },
} as const;

export interface DemoFile {
  providers: Record<
    string,
    {
      domain: string;
      host: string;
      submissionTlsPort: number;
      submissionStarttlsPort: number;
      inboundPort: number;
      portalUrl: string;
      caFile: string;
      maildirRoot: string;
    }
  >;
  mailboxes: Record<string, string>;
}

function describe(p: RunningProvider): DemoFile['providers'][string] {
  return {
    domain: p.domain,
    host: p.host,
    submissionTlsPort: p.submissionTlsPort,
    submissionStarttlsPort: p.submissionStarttlsPort,
    inboundPort: p.inboundPort,
    // The demo runs the MTAs only; the portal is started by `npm start`.
    portalUrl: '',
    caFile: p.caFile,
    maildirRoot: p.maildirRoot,
  };
}

async function main(): Promise<void> {
  const config = getConfig();
  const dir = path.join(config.dataDir, 'demo');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const mailboxes: Record<string, string> = {};
  for (const a of Object.values(accounts)) for (const u of a.users) mailboxes[`${u}@${a.domain}`] = generatePassword();

  console.log('[demo] starting providers A (pec.alfa.test) and B (pec.beta.test)…');
  const net = await startPecNetwork({
    dir,
    providers: Object.entries(accounts).map(([key, a]) => ({
      key,
      name: a.name,
      domain: a.domain,
      mailboxes: a.users.map((u) => ({ address: `${u}@${a.domain}`, password: mailboxes[`${u}@${a.domain}`] })),
    })),
  });
  const demo: DemoFile = {
    providers: Object.fromEntries(Object.entries(net.providers).map(([k, p]) => [k, describe(p)])),
    mailboxes,
  };
  const file = path.join(config.dataDir, 'demo.json');
  writeFileSync(file, `${JSON.stringify(demo, null, 2)}\n`);
  const a = demo.providers.A;
  console.log(`[demo] ready; details in ${file}`);
  console.log(
    `[demo] try: swaks --server ${a.host}:${a.submissionTlsPort} --tls-on-connect --auth PLAIN ` +
      `--auth-user alice@pec.alfa.test --auth-password '${mailboxes['alice@pec.alfa.test']}' ` +
      `--from alice@pec.alfa.test --to bob@pec.beta.test --header 'Subject: prova'`,
  );
  console.log(`[demo] mailboxes are Maildirs under ${a.maildirRoot} and ${demo.providers.B.maildirRoot}; Ctrl-C stops.`);

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    console.log('[demo] stopping…');
    net
      .stop()
      .catch((err: unknown) => console.error(err))
      .finally(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

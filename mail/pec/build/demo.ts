/**
 * A fixed demo exchange that exercises every message kind and variant the engine builds:
 * alice@pec.alfa.test → bob@pec.beta.test (To), carol@pec.beta.test (Cc) and dave@example.com
 * (ordinary mail). Used by `pec samples` and by the tests; the signers are passed in.
 */
import { newPecMessageId } from '../identifiers';
import type { Signer } from '../smime-sign';
import { buildAccettazione, buildNonAccettazione, nonAccettazioneCauses, type NonAccettazioneCause } from './accettazione';
import { buildBustaAnomalia } from './anomalia';
import { buildBustaTrasporto } from './busta';
import { buildAvvenutaConsegna, buildMancataConsegna, deliveryReceiptType } from './consegna';
import { describeOriginal } from './facts';
import { postacertOf } from './postacert';
import { buildPresaInCarico } from './presa-in-carico';
import { buildTimeoutNotice } from './timeout';
import type { BuildContext, BuiltMessage, PecRecipient, ProviderIdentity } from './types';
import { buildRilevazioneVirus } from './virus';

export const demoProviders = {
  alfa: { name: 'Alfa PEC S.p.A.', domain: 'pec.alfa.test' },
  beta: { name: 'Beta PEC S.r.l.', domain: 'pec.beta.test' },
} satisfies Record<string, ProviderIdentity>;

export const demoSubject = 'Fattura n. 12 – «urgente» & <allegati> "prova"';

export const demoRecipients: PecRecipient[] = [
  { address: 'bob@pec.beta.test', tipo: 'certificato', field: 'to' },
  { address: 'carol@pec.beta.test', tipo: 'certificato', field: 'cc' },
  { address: 'dave@example.com', tipo: 'esterno', field: 'to' },
];

/** The demo original: text plus a PDF attachment, CRLF, as a client would submit it. */
export function demoOriginal(extraBody?: Buffer): Buffer {
  const pdf = Buffer.from('%PDF-1.4\n% demo attachment\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');
  const lines = [
    'From: Alice Rossi <alice@pec.alfa.test>',
    'To: Bob Bianchi <bob@pec.beta.test>, dave@example.com',
    'Cc: carol@pec.beta.test',
    `Subject: =?UTF-8?B?${Buffer.from(demoSubject).toString('base64')}?=`,
    'Date: Mon, 15 Jan 2024 10:05:07 +0100',
    'Message-ID: <demo-1@client.alfa.test>',
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="demo-boundary"',
    '',
    '--demo-boundary',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
    '',
    'Buongiorno, in allegato la fattura. Perché no?',
    '--demo-boundary',
    'Content-Type: application/pdf; name="fattura-12.pdf"',
    'Content-Disposition: attachment; filename="fattura-12.pdf"',
    'Content-Transfer-Encoding: base64',
    '',
    pdf.toString('base64').replace(/.{76}/g, '$&\r\n'),
    '--demo-boundary--',
    '',
  ];
  const head = Buffer.from(lines.join('\r\n'), 'utf8');
  return extraBody ? Buffer.concat([head, extraBody]) : head;
}

export interface DemoSample {
  /** File name stem saying kind and variant, e.g. `avvenuta-consegna-breve`. */
  name: string;
  message: BuiltMessage;
}

export interface DemoSigners {
  /** Signer of the sender's provider (Alfa). */
  alfa: Signer;
  /** Signer of the recipients' provider (Beta). */
  beta: Signer;
}

/** Builds one message of every kind and variant for the demo exchange. */
export async function buildDemoExchange(signers: DemoSigners, now: Date = new Date()): Promise<DemoSample[]> {
  const alfa: BuildContext = { provider: demoProviders.alfa, signer: signers.alfa, now };
  const beta: BuildContext = { provider: demoProviders.beta, signer: signers.beta, now };
  const original = demoOriginal();
  const sender = 'alice@pec.alfa.test';
  const identificativo = newPecMessageId(now, { domain: alfa.provider.domain });
  const busta = await buildBustaTrasporto({ ctx: alfa, original, sender, recipients: demoRecipients, identificativo });
  const facts = busta.facts ?? describeOriginal({ original, sender, recipients: demoRecipients, identificativo });
  // What the DP finds as postacert.eml inside the busta.
  const postacert = postacertOf(original, identificativo, facts.msgid);
  const bob = 'bob@pec.beta.test';
  const carol = 'carol@pec.beta.test';
  const out: DemoSample[] = [
    { name: 'busta-trasporto', message: busta },
    { name: 'accettazione', message: await buildAccettazione({ ctx: alfa, facts }) },
  ];
  for (const cause of Object.keys(nonAccettazioneCauses) as NonAccettazioneCause[]) {
    out.push({ name: `non-accettazione-${cause}`, message: await buildNonAccettazione({ ctx: alfa, facts, cause }) });
  }
  out.push(
    { name: 'non-accettazione-virus', message: await buildNonAccettazione({ ctx: alfa, facts, cause: 'virus', detail: 'EICAR-Test-File' }) },
    {
      name: 'presa-in-carico',
      message: await buildPresaInCarico({ ctx: beta, facts, mailReceipt: `posta-certificata@${alfa.provider.domain}`, ricezione: [bob, carol] }),
    },
    {
      name: 'avvenuta-consegna-completa',
      message: await buildAvvenutaConsegna({ ctx: beta, facts, consegna: bob, ricevuta: deliveryReceiptType('completa', 'to'), postacert }),
    },
    { name: 'avvenuta-consegna-breve', message: await buildAvvenutaConsegna({ ctx: beta, facts, consegna: bob, ricevuta: 'breve', postacert }) },
    {
      name: 'avvenuta-consegna-sintetica',
      message: await buildAvvenutaConsegna({ ctx: beta, facts, consegna: carol, ricevuta: deliveryReceiptType('completa', 'cc') }),
    },
  );
  for (const errore of ['no-dest', 'no-dominio', 'altro'] as const) {
    out.push({ name: `mancata-consegna-${errore}`, message: await buildMancataConsegna({ ctx: beta, facts, consegna: bob, errore }) });
  }
  out.push(
    { name: 'mancata-consegna-virus', message: await buildMancataConsegna({ ctx: alfa, facts, consegna: bob, errore: 'virus', erroreEsteso: 'rilevato virus: EICAR-Test-File' }) },
    { name: 'preavviso-mancata-consegna-12h', message: await buildTimeoutNotice({ ctx: alfa, facts, consegna: bob, hours: 12 }) },
    { name: 'mancata-consegna-24h', message: await buildTimeoutNotice({ ctx: alfa, facts, consegna: bob, hours: 24 }) },
    {
      name: 'rilevazione-virus',
      message: await buildRilevazioneVirus({ ctx: beta, facts, mailReceipt: `posta-certificata@${alfa.provider.domain}`, consegna: bob, virus: 'EICAR-Test-File' }),
    },
    {
      name: 'busta-anomalia',
      message: await buildBustaAnomalia({ ctx: beta, received: original, sender, recipients: [bob, carol], reason: 'messaggio privo di firma PEC' }),
    },
  );
  return out;
}

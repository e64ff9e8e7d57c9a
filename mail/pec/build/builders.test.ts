import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { parseDaticert, type DaticertErrore, type DaticertTipo } from '../daticert';
import { createSigner } from '../smime-sign';
import { issueProviderCertificate, testCa } from '../testing/test-pki';
import { buildAccettazione } from './accettazione';
import { buildBustaTrasporto } from './busta';
import { buildDemoExchange, demoOriginal, demoProviders, demoRecipients, demoSubject, type DemoSample } from './demo';
import { decodeWords } from './headers';
import { messageBytes, type PecMessageKind } from './types';

const dir = mkdtempSync(path.join(tmpdir(), 'pec-build-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const caFile = path.join(dir, 'ca.pem');
const dtd = path.join(__dirname, '..', 'daticert.dtd');

const alfaCert = () => issueProviderCertificate({ providerName: demoProviders.alfa.name, email: 'posta-certificata@pec.alfa.test' });
let samples: DemoSample[] = [];
const files = new Map<string, string>();

before(async () => {
  writeFileSync(caFile, testCa().rootPem);
  // Alfa signs with RSA, Beta with ECDSA: both key types go through every check below.
  const alfa = createSigner(alfaCert());
  const beta = createSigner(
    issueProviderCertificate({ providerName: demoProviders.beta.name, email: 'posta-certificata@pec.beta.test', keyType: 'ecdsa' }),
  );
  samples = await buildDemoExchange({ alfa, beta }, new Date('2024-07-31T22:30:05Z'));
  for (const s of samples) {
    const file = path.join(dir, `${s.name}.eml`);
    writeFileSync(file, messageBytes(s.message));
    files.set(s.name, file);
  }
});

/** Runs one openssl command per file in a single shell; returns the files that failed. */
function failing(command: string, list: string[]): string[] {
  const script = `for f in "$@"; do ${command} -in "$f" -out /dev/null 2>/dev/null || echo "$f"; done`;
  const out = execFileSync('sh', ['-c', script, 'sh', ...list], { encoding: 'utf8' });
  return out.split('\n').filter(Boolean);
}

interface Parsed {
  headers: Map<string, string[]>;
  text: string;
}

function parseTop(bytes: Buffer): Parsed {
  const text = bytes.toString('latin1');
  const head = text.slice(0, text.indexOf('\r\n\r\n'));
  const headers = new Map<string, string[]>();
  for (const line of head.replace(/\r\n[ \t]/g, ' ').split('\r\n')) {
    const i = line.indexOf(':');
    const key = line.slice(0, i).toLowerCase();
    headers.set(key, [...(headers.get(key) ?? []), line.slice(i + 1).trim()]);
  }
  return { headers, text };
}

const h = (p: Parsed, name: string): string | undefined => p.headers.get(name.toLowerCase())?.[0];

function daticertOf(p: Parsed): Buffer | undefined {
  const m = /filename="daticert\.xml"\r\n(?:[^\r\n]+\r\n)*\r\n([A-Za-z0-9+/=\r\n]+?)\r\n--/.exec(p.text);
  return m ? Buffer.from(m[1].replace(/\r\n/g, ''), 'base64') : undefined;
}

/** postacert.eml content: it is the last part of the multipart/mixed entity. */
function postacertOf(p: Parsed): string | undefined {
  const mixed = /Content-Type: multipart\/mixed; boundary="([^"]+)"/.exec(p.text)?.[1];
  const start = p.text.indexOf('filename="postacert.eml"');
  if (!mixed || start === -1) return undefined;
  const bodyStart = p.text.indexOf('\r\n\r\n', start) + 4;
  return p.text.slice(bodyStart, p.text.indexOf(`\r\n--${mixed}--`, bodyStart));
}

interface Expectation {
  prefix: string;
  tipo?: DaticertTipo;
  errore?: DaticertErrore;
  headers: Record<string, string | undefined>;
  to: string;
  carriesOriginal: boolean;
}

const sender = 'alice@pec.alfa.test';
const alfaService = 'posta-certificata@pec.alfa.test';
const betaService = 'posta-certificata@pec.beta.test';

function expectationFor(name: string, kind: PecMessageKind): Expectation {
  const receipt = (prefix: string, tipo: DaticertTipo, errore: DaticertErrore, extra: Record<string, string | undefined> = {}, to = sender) => ({
    prefix,
    tipo,
    errore,
    headers: { 'x-ricevuta': tipo, 'x-trasporto': undefined, 'x-verificasicurezza': undefined, 'x-mittente': undefined, ...extra },
    to,
    carriesOriginal: false,
  });
  switch (kind) {
    case 'busta-trasporto':
      return {
        prefix: 'POSTA CERTIFICATA: ',
        tipo: 'posta-certificata',
        errore: 'nessuno',
        headers: { 'x-trasporto': 'posta-certificata', 'x-tiporicevuta': 'completa', 'x-ricevuta': undefined, 'reply-to': sender },
        to: 'Bob Bianchi <bob@pec.beta.test>, dave@example.com',
        carriesOriginal: true,
      };
    case 'busta-anomalia':
      return {
        prefix: 'ANOMALIA MESSAGGIO: ',
        headers: { 'x-trasporto': 'errore', 'x-ricevuta': undefined, 'message-id': '<demo-1@client.alfa.test>', 'reply-to': sender },
        to: 'Bob Bianchi <bob@pec.beta.test>, dave@example.com',
        carriesOriginal: true,
      };
    case 'accettazione':
      return receipt('ACCETTAZIONE: ', 'accettazione', 'nessuno');
    case 'non-accettazione':
      return receipt('AVVISO DI NON ACCETTAZIONE: ', 'non-accettazione', 'altro');
    case 'non-accettazione-virus':
      return receipt('AVVISO DI NON ACCETTAZIONE PER VIRUS: ', 'non-accettazione', 'virus', { 'x-verificasicurezza': 'errore' });
    case 'presa-in-carico':
      return receipt('PRESA IN CARICO: ', 'presa-in-carico', 'nessuno', {}, alfaService);
    case 'avvenuta-consegna':
      return { ...receipt('CONSEGNA: ', 'avvenuta-consegna', 'nessuno'), carriesOriginal: !name.endsWith('sintetica') };
    case 'mancata-consegna':
      return receipt('AVVISO DI MANCATA CONSEGNA: ', 'errore-consegna', name.replace('mancata-consegna-', '') as DaticertErrore);
    case 'mancata-consegna-virus':
      return receipt('AVVISO DI MANCATA CONSEGNA PER VIRUS: ', 'errore-consegna', 'virus', { 'x-verificasicurezza': 'errore' });
    case 'preavviso-mancata-consegna-12h':
      return receipt('AVVISO DI MANCATA CONSEGNA PER SUP. TEMPO MASSIMO: ', 'preavviso-errore-consegna', 'nessuno');
    case 'mancata-consegna-24h':
      return receipt('AVVISO DI MANCATA CONSEGNA PER SUP. TEMPO MASSIMO: ', 'preavviso-errore-consegna', 'altro');
    case 'rilevazione-virus':
      return receipt('PROBLEMA DI SICUREZZA: ', 'rilevazione-virus', 'virus', { 'x-mittente': sender }, alfaService);
  }
}

test('the demo exchange covers every kind, with unique Message-IDs', () => {
  const kinds = new Set(samples.map((s) => s.message.kind));
  assert.equal(kinds.size, 12);
  assert.equal(samples.length, 22);
  const ids = samples.map((s) => s.message.messageId);
  assert.equal(new Set(ids.filter((id) => id !== 'demo-1@client.alfa.test')).size, ids.length - 1);
  for (const id of ids.filter((i) => i.startsWith('opec'))) assert.match(id, /^opec1\.2024080100300\d\.[0-9a-f]{16}\.n1@pec\.(alfa|beta)\.test$/);
});

test('every built message verifies with openssl smime and openssl cms against the CA', () => {
  const list = [...files.values()];
  assert.deepEqual(failing(`openssl smime -verify -CAfile "${caFile}"`, list), []);
  assert.deepEqual(failing(`openssl cms -verify -CAfile "${caFile}"`, list), []);
});

test('every daticert.xml validates against the DTD and matches the returned data', () => {
  const xmlFiles: string[] = [];
  for (const s of samples) {
    const p = parseTop(messageBytes(s.message));
    const xml = daticertOf(p);
    if (s.message.kind === 'busta-anomalia') {
      assert.equal(xml, undefined, 'the busta di anomalia has no daticert');
      continue;
    }
    assert.ok(xml, s.name);
    const file = path.join(dir, `${s.name}.xml`);
    writeFileSync(file, xml);
    xmlFiles.push(file);
    const { date, ...parsed } = parseDaticert(xml);
    assert.deepEqual(parsed, s.message.daticert, s.name);
    assert.equal(date, '2024-08-01T00:30:05+02:00');
  }
  const r = spawnSync('xmllint', ['--noout', '--dtdvalid', dtd, ...xmlFiles], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
});

test('headers, subject prefixes, addresses and daticert tipo/errore are exact for each kind', () => {
  for (const s of samples) {
    const e = expectationFor(s.name, s.message.kind);
    const p = parseTop(messageBytes(s.message));
    const subject = decodeWords(h(p, 'subject') ?? '');
    assert.equal(subject, `${e.prefix}${demoSubject}`, s.name);
    assert.equal(h(p, 'to'), e.to, `${s.name} To`);
    for (const [name, value] of Object.entries(e.headers)) assert.equal(h(p, name), value, `${s.name} ${name}`);
    if (s.message.kind !== 'busta-anomalia') assert.equal(h(p, 'x-riferimento-message-id'), '<demo-1@client.alfa.test>', s.name);
    assert.match(h(p, 'date') ?? '', /^Thu, 1 Aug 2024 00:30:05 \+0200$/);
    assert.equal(h(p, 'mime-version'), '1.0');
    assert.match(h(p, 'content-type') ?? '', /^multipart\/signed; protocol="application\/pkcs7-signature"; micalg=sha-256; boundary=/);
    const service = s.name.match(/presa-in-carico|avvenuta-consegna|mancata-consegna-(no-dest|no-dominio|altro)|rilevazione-virus|anomalia/) ? betaService : alfaService;
    if (s.message.kind === 'busta-trasporto' || s.message.kind === 'busta-anomalia') {
      assert.equal(h(p, 'from'), `"Per conto di: ${sender}" <${service}>`, s.name);
    } else {
      assert.equal(h(p, 'from'), service, s.name);
      assert.match(h(p, 'message-id') ?? '', /^<opec1\.[^>]+>$/);
      assert.deepEqual(s.message.envelope, { from: service, to: [e.to] });
    }
    if (e.tipo) {
      assert.equal(s.message.daticert?.tipo, e.tipo, s.name);
      assert.equal(s.message.daticert?.errore, e.errore, s.name);
    }
    assert.equal(postacertOf(p) !== undefined, e.carriesOriginal, `${s.name} carries original`);
    // Human text in plain and HTML, same wording, HTML self-contained.
    assert.match(p.text, /Content-Type: multipart\/alternative/);
    assert.match(p.text, /Content-Type: text\/plain; charset=/);
    assert.match(p.text, /Content-Type: text\/html; charset=/);
    assert.doesNotMatch(p.text, /<script|src=|href=/i);
  }
});

test('busta: postacert.eml is the original with Message-ID replaced and X-Riferimento-Message-ID added', () => {
  const busta = samples.find((s) => s.name === 'busta-trasporto')!.message;
  const postacert = postacertOf(parseTop(messageBytes(busta)))!;
  const original = demoOriginal().toString('latin1');
  const expected = original.replace('Message-ID: <demo-1@client.alfa.test>', `Message-ID: <${busta.messageId}>\r\nX-Riferimento-Message-ID: <demo-1@client.alfa.test>`);
  // The part ends where the closing delimiter's CRLF starts.
  assert.equal(postacert, expected);
  assert.equal(busta.daticert?.dati.identificativo, busta.messageId);
  assert.deepEqual(busta.envelope, { from: sender, to: demoRecipients.map((r) => r.address) });
  assert.deepEqual(busta.daticert?.intestazione.destinatari, [
    { address: 'bob@pec.beta.test', tipo: 'certificato' },
    { address: 'carol@pec.beta.test', tipo: 'certificato' },
    { address: 'dave@example.com', tipo: 'esterno' },
  ]);
});

test('consegna breve replaces the attachment by its SHA-1; completa carries it; sintetica carries nothing', () => {
  const get = (name: string) => parseTop(messageBytes(samples.find((s) => s.name === name)!.message));
  const breve = postacertOf(get('avvenuta-consegna-breve'))!;
  const completa = postacertOf(get('avvenuta-consegna-completa'))!;
  assert.equal(postacertOf(get('avvenuta-consegna-sintetica')), undefined);
  const original = demoOriginal().toString('latin1');
  const pdfBody = /filename="fattura-12\.pdf"\r\nContent-Transfer-Encoding: base64\r\n\r\n([\s\S]*?)\r\n--demo-boundary--/.exec(original)![1];
  const sha1 = createHash('sha1').update(Buffer.from(pdfBody, 'latin1')).digest('hex');
  assert.match(breve, new RegExp(`name="fattura-12\\.pdf\\.hash"\\r\\nContent-Transfer-Encoding: 7bit\\r\\nContent-Disposition: attachment; filename="fattura-12\\.pdf\\.hash"\\r\\n\\r\\n${sha1}\\r\\n--demo-boundary--`));
  assert.ok(!breve.includes(pdfBody));
  assert.ok(breve.includes('Buongiorno, in allegato la fattura.'));
  assert.ok(completa.includes(pdfBody));
  const cc = samples.find((s) => s.name === 'avvenuta-consegna-sintetica')!.message;
  assert.equal(cc.daticert?.dati.consegna, 'carol@pec.beta.test');
  assert.equal(cc.daticert?.dati.ricevuta, 'sintetica');
});

test('an expired signing certificate still yields a structurally valid signature', async () => {
  const now = Date.now();
  const expired = issueProviderCertificate({
    providerName: demoProviders.alfa.name,
    email: alfaService,
    notBefore: new Date(now - 30 * 864e5),
    notAfter: new Date(now - 864e5),
  });
  const busta = samples.find((s) => s.name === 'busta-trasporto')!.message;
  const m = await buildAccettazione({ ctx: { provider: demoProviders.alfa, signer: createSigner(expired), now: new Date() }, facts: busta.facts! });
  const file = path.join(dir, 'expired.eml');
  writeFileSync(file, messageBytes(m));
  assert.deepEqual(failing('openssl smime -verify -noverify', [file]), []);
  const r = spawnSync('openssl', ['smime', '-verify', '-CAfile', caFile, '-in', file, '-out', '/dev/null'], { encoding: 'utf8' });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /expired/);
});

test('a 30 MB original (LF line ends) is canonicalised, enveloped and verifies', async () => {
  const line = 'Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor.\n';
  const body = Buffer.from(line.repeat(Math.ceil((30 * 1024 * 1024) / line.length)));
  const original = Buffer.concat([
    Buffer.from('From: alice@pec.alfa.test\nTo: bob@pec.beta.test\nSubject: grande\nMessage-ID: <big@client>\n\n'),
    body,
  ]);
  const ctx = { provider: demoProviders.alfa, signer: createSigner(alfaCert()), now: new Date() };
  const t0 = performance.now();
  const busta = await buildBustaTrasporto({
    ctx,
    original,
    sender,
    recipients: [{ address: 'bob@pec.beta.test', tipo: 'certificato' }],
    identificativo: 'opec1.big@pec.alfa.test',
  });
  const ms = performance.now() - t0;
  assert.ok(busta.size > 30 * 1024 * 1024);
  const file = path.join(dir, 'big.eml');
  writeFileSync(file, messageBytes(busta));
  assert.deepEqual(failing(`openssl smime -verify -CAfile "${caFile}"`, [file]), []);
  assert.ok(ms < 10_000, `built in ${ms.toFixed(0)} ms`);
});

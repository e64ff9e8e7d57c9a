import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { toCrlf } from '../mime-write';
import { createSigner } from '../smime-sign';
import { issueProviderCertificate, testCa } from '../testing/test-pki';
import { buildBustaAnomalia } from './anomalia';
import { buildBustaTrasporto } from './busta';
import { describeOriginal } from './facts';
import { decodeWords, splitHeaders } from './headers';
import { messageBytes, type BuildContext, type BuiltMessage } from './types';

const dir = mkdtempSync(path.join(tmpdir(), 'pec-busta-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const provider = { name: 'Alfa PEC S.p.A.', domain: 'pec.alfa.test', node: 'mx-2' };
const ctx = (): BuildContext => ({
  provider,
  signer: createSigner(issueProviderCertificate({ providerName: provider.name, email: 'posta-certificata@pec.alfa.test', keyType: 'ecdsa' })),
  now: new Date('2024-01-15T09:05:07Z'),
});
const sender = 'alice@pec.alfa.test';

function verifyAll(messages: BuiltMessage[]): void {
  const ca = path.join(dir, 'ca.pem');
  writeFileSync(ca, testCa().rootPem);
  const files = messages.map((m, i) => {
    const f = path.join(dir, `m${i}.eml`);
    writeFileSync(f, messageBytes(m));
    return f;
  });
  const failed = execFileSync(
    'sh',
    ['-c', 'ca="$1"; shift; for f in "$@"; do openssl smime -verify -CAfile "$ca" -in "$f" -out /dev/null 2>/dev/null || echo "$f"; done', 'sh', ca, ...files],
    { encoding: 'utf8' },
  );
  assert.equal(failed, '');
}

function top(m: BuiltMessage) {
  const bytes = messageBytes(m);
  const { fields } = splitHeaders(bytes);
  return { fields, text: bytes.toString('latin1'), get: (n: string) => fields.filter((f) => f.key === n.toLowerCase()).map((f) => f.value) };
}

const relayed = [
  'Return-Path: <alice@pec.alfa.test>',
  'Received: from client.example (client.example [192.0.2.1])',
  '\tby ap.pec.alfa.test with ESMTPSA id 1;',
  '\tMon, 15 Jan 2024 10:05:06 +0100',
  'Received: from localhost by client.example; Mon, 15 Jan 2024 10:05:05 +0100',
  'From: Alice <alice@pec.alfa.test>',
  'To: bob@pec.beta.test',
  'Reply-To: segreteria@pec.alfa.test',
  'Subject: POSTA CERTIFICATA: inoltro',
  'X-Tiporicevuta: breve',
  '',
  'testo',
  '',
].join('\n');

test('busta: copies Return-Path/Received/To/Reply-To, honours X-Tiporicevuta in any case, stacks prefixes', async () => {
  const c = ctx();
  const busta = await buildBustaTrasporto({
    ctx: c,
    original: Buffer.from(relayed),
    sender,
    recipients: [{ address: 'bob@pec.beta.test', tipo: 'certificato', field: 'to' }],
    identificativo: 'opec1.20240115100507.0123456789abcdef.mx-2@pec.alfa.test',
  });
  const t = top(busta);
  assert.deepEqual(t.get('return-path'), ['<alice@pec.alfa.test>']);
  assert.equal(t.get('received').length, 2);
  assert.ok(t.text.startsWith('Return-Path: <alice@pec.alfa.test>\r\nReceived: from client.example (client.example [192.0.2.1])\r\n\tby ap.pec.alfa.test'));
  assert.deepEqual(t.get('reply-to'), ['segreteria@pec.alfa.test']);
  assert.deepEqual(t.get('x-tiporicevuta'), ['breve']);
  assert.deepEqual(t.get('subject'), ['POSTA CERTIFICATA: POSTA CERTIFICATA: inoltro']);
  assert.deepEqual(t.get('date'), ['Mon, 15 Jan 2024 10:05:07 +0100']);
  assert.equal(busta.daticert?.dati.ricevuta, 'breve');
  assert.equal(busta.daticert?.intestazione.risposte, 'segreteria@pec.alfa.test');
  // No client Message-ID: the PEC id stands in, in the header and in postacert.eml.
  assert.deepEqual(t.get('x-riferimento-message-id'), [`<${busta.messageId}>`]);
  assert.equal(busta.daticert?.dati.msgid, `<${busta.messageId}>`);
  assert.ok(t.text.includes(`X-Tiporicevuta: breve\r\nMessage-ID: <${busta.messageId}>\r\nX-Riferimento-Message-ID: <${busta.messageId}>\r\n\r\ntesto\r\n`));
  verifyAll([busta]);
});

test('busta: a folded, encoded subject is decoded for daticert and restated encoded', async () => {
  const original = Buffer.from(
    'From: alice@pec.alfa.test\r\nTo: bob@pec.beta.test\r\nMessage-ID: <x@y>\r\nSubject: =?ISO-8859-1?Q?Perch=E9?=\r\n =?UTF-8?B?IOKCrCAxMA==?=\r\n\r\nciao\r\n',
  );
  const busta = await buildBustaTrasporto({ ctx: ctx(), original, sender, recipients: [{ address: 'bob@pec.beta.test', tipo: 'certificato' }], identificativo: 'opec1.a@pec.alfa.test' });
  assert.equal(busta.daticert?.intestazione.oggetto, 'Perché € 10');
  assert.equal(decodeWords(top(busta).get('subject')[0]), 'POSTA CERTIFICATA: Perché € 10');
  assert.deepEqual(top(busta).get('x-riferimento-message-id'), ['<x@y>']);
  assert.deepEqual(top(busta).get('reply-to'), [sender]);
});

test('busta: its facts are describeOriginal over the CRLF text, which the access point signs the accettazione from at the same time', async () => {
  const recipients = [{ address: 'bob@pec.beta.test', tipo: 'certificato' as const }];
  for (const original of [Buffer.from(relayed), Buffer.from(relayed.replace(/\n/g, '\r\n'))]) {
    const input = { original, sender, recipients, identificativo: 'opec1.f@pec.alfa.test' };
    const busta = await buildBustaTrasporto({ ctx: ctx(), ...input });
    assert.deepEqual(busta.facts, describeOriginal({ ...input, original: toCrlf(original) }));
    assert.equal(busta.facts?.ricevuta, 'breve');
  }
});

test('busta di anomalia: keeps the received Message-ID, sets Reply-To, no daticert, whole message attached', async () => {
  const received = Buffer.from('From: spam@example.com\r\nTo: bob@pec.beta.test\r\nMessage-ID: <abc@example.com>\r\nSubject: offerta\r\n\r\nposta ordinaria\r\n');
  const m = await buildBustaAnomalia({ ctx: ctx(), received, sender: 'spam@example.com', recipients: ['bob@pec.beta.test'], reason: 'messaggio non firmato' });
  const t = top(m);
  assert.deepEqual(t.get('message-id'), ['<abc@example.com>']);
  assert.equal(m.messageId, 'abc@example.com');
  assert.deepEqual(t.get('x-trasporto'), ['errore']);
  assert.deepEqual(t.get('reply-to'), ['spam@example.com']);
  assert.deepEqual(t.get('from'), ['"Per conto di: spam@example.com" <posta-certificata@pec.alfa.test>']);
  assert.deepEqual(t.get('subject'), ['ANOMALIA MESSAGGIO: offerta']);
  assert.equal(m.daticert, undefined);
  assert.ok(!t.text.includes('daticert.xml'));
  assert.ok(t.text.includes(`filename="postacert.eml"\r\nContent-Transfer-Encoding: 7bit\r\n\r\n${received.toString()}\r\n--`));
  assert.deepEqual(m.envelope, { from: 'spam@example.com', to: ['bob@pec.beta.test'] });
  verifyAll([m]);
});

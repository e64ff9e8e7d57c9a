import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { buildBustaTrasporto } from './build/busta';
import { demoProviders, demoRecipients } from './build/demo';
import { messageBytes } from './build/types';
import { writeDaticert } from './daticert';
import { newPecMessageId } from './identifiers';
import { inspectMessage, inspectReportJson, type PecKind } from './inspect';
import { readFixtures, type ReadFixtures } from './testing/inspect-fixtures';
import { readTrustMaterial, type TrustStore } from './trust-store';

let fx: ReadFixtures;
let trust: TrustStore;
before(async () => {
  fx = await readFixtures();
  trust = readTrustMaterial(Buffer.from(fx.indexLdif)).store;
});

/** What every demo message must be read as: kind, receipt type, error. */
const expected: Record<string, [PecKind, string | null, string | null]> = {
  'busta-trasporto': ['posta-certificata', 'completa', null],
  accettazione: ['accettazione', null, null],
  'non-accettazione-from-non-valido': ['non-accettazione', null, 'altro'],
  'non-accettazione-to-non-valido': ['non-accettazione', null, 'altro'],
  'non-accettazione-mittente-non-coerente': ['non-accettazione', null, 'altro'],
  'non-accettazione-destinatari-non-coerenti': ['non-accettazione', null, 'altro'],
  'non-accettazione-bcc-presente': ['non-accettazione', null, 'altro'],
  'non-accettazione-dimensione-eccessiva': ['non-accettazione', null, 'altro'],
  'non-accettazione-canale-non-cifrato': ['non-accettazione', null, 'altro'],
  'non-accettazione-virus': ['non-accettazione', null, 'virus'],
  'presa-in-carico': ['presa-in-carico', null, null],
  'avvenuta-consegna-completa': ['avvenuta-consegna', 'completa', null],
  'avvenuta-consegna-breve': ['avvenuta-consegna', 'breve', null],
  'avvenuta-consegna-sintetica': ['avvenuta-consegna', 'sintetica', null],
  'mancata-consegna-no-dest': ['errore-consegna', null, 'no-dest'],
  'mancata-consegna-no-dominio': ['errore-consegna', null, 'no-dominio'],
  'mancata-consegna-altro': ['errore-consegna', null, 'altro'],
  'mancata-consegna-virus': ['errore-consegna', null, 'virus'],
  'preavviso-mancata-consegna-12h': ['preavviso-errore-consegna', null, null],
  'mancata-consegna-24h': ['preavviso-errore-consegna', null, 'altro'],
  'rilevazione-virus': ['rilevazione-virus', null, 'virus'],
  'busta-anomalia': ['anomalia', null, null],
};

function edit(raw: Buffer, from: string | RegExp, to: string): Buffer {
  const text = raw.toString('latin1');
  const out = text.replace(from, to);
  assert.notEqual(out, text, `edit ${from} applied`);
  return Buffer.from(out, 'latin1');
}

describe('inspect: messages built by our engine', () => {
  test('every kind and variant is classified, signed, intact and trusted, without problems', () => {
    assert.deepEqual(
      Object.keys(expected).sort(),
      [...fx.messages.keys()].sort(),
      'the table covers every demo sample',
    );
    for (const [name, raw] of fx.messages) {
      const r = inspectMessage(raw, { trust });
      const [kind, receiptType, error] = expected[name];
      assert.deepEqual([r.kind, r.receiptType, r.error], [kind, receiptType, error], name);
      assert.deepEqual(
        [r.signature.present, r.signature.intact, r.signature.trusted],
        [true, true, true],
        `${name}: ${r.signature.detail}`,
      );
      assert.deepEqual(r.problems, [], name);
      if (kind === 'anomalia') assert.equal(r.daticert, null);
      else {
        assert.equal(r.daticert?.tipo, kind, name);
        assert.match(r.daticert?.date ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$/);
        assert.equal(r.riferimentoMessageId, '<demo-1@client.alfa.test>', name);
      }
      assert.equal(r.messageId, `<${fx.samples.find((s) => s.name === name)?.message.messageId}>`);
    }
  });

  test('the embedded original is available in the API but not in the JSON', () => {
    const r = inspectMessage(fx.messages.get('busta-trasporto')!);
    assert.ok(r.original);
    const original = r.original.toString('utf8');
    assert.match(original, /^X-Riferimento-Message-ID: <demo-1@client\.alfa\.test>\r\n/im);
    assert.match(original, /Buongiorno, in allegato la fattura\. Perché no\?/);
    assert.match(r.subject ?? '', /^POSTA CERTIFICATA: Fattura n\. 12 – «urgente»/);
    const json = inspectReportJson(r);
    assert.equal('original' in json, false);
    assert.doesNotThrow(() => JSON.stringify(json));
    assert.equal(inspectMessage(fx.messages.get('avvenuta-consegna-sintetica')!).original, null);
  });

  test('X-TipoRicevuta is read case-insensitively and cross-checked with daticert', () => {
    const busta = fx.messages.get('busta-trasporto')!;
    const sogeiStyle = edit(busta, /^X-TipoRicevuta: completa$/im, 'X-Tiporicevuta: completa');
    let r = inspectMessage(sogeiStyle);
    assert.equal(r.receiptType, 'completa');
    assert.equal(r.signature.intact, true, 'top-level headers are outside the signature');
    assert.deepEqual(r.problems, []);
    r = inspectMessage(edit(busta, /^X-TipoRicevuta: completa$/im, 'x-tiporicevuta: BREVE'));
    assert.equal(r.receiptType, 'breve');
    assert.ok(
      r.problems.some((p) => p.includes('differs from daticert ricevuta completa')),
      r.problems.join('; '),
    );
    r = inspectMessage(edit(busta, /^X-TipoRicevuta: completa\r\n/im, ''));
    assert.equal(r.receiptType, null, 'no header: no requested type (as the samples README records it)');
    assert.equal(r.daticert?.dati.ricevuta, 'completa');
  });

  test('headers and daticert disagreeing, missing pieces and forwards are reported', () => {
    const acc = fx.messages.get('accettazione')!;
    let r = inspectMessage(edit(acc, /^X-Ricevuta: accettazione$/im, 'X-Ricevuta: avvenuta-consegna'));
    assert.equal(r.kind, 'avvenuta-consegna');
    assert.ok(
      r.problems.some((p) => p.includes('daticert tipo is accettazione')),
      r.problems.join('; '),
    );
    assert.ok(r.problems.some((p) => p.includes('Subject does not start with "CONSEGNA:"')));

    r = inspectMessage(edit(acc, /^X-Ricevuta: accettazione\r\n/im, ''));
    assert.equal(r.kind, 'non-pec');
    assert.ok(r.problems.some((p) => p.includes('no X-Trasporto or X-Ricevuta')));

    // A person forwarding a busta: the busta travels as an attachment of an ordinary message.
    const busta = fx.messages.get('busta-trasporto')!;
    const forward = Buffer.concat([
      Buffer.from(
        'From: Bob <bob@pec.beta.test>\r\nTo: ufficio@example.com\r\nSubject: I: POSTA CERTIFICATA: Fattura\r\nMIME-Version: 1.0\r\n' +
          'Content-Type: multipart/mixed; boundary="fw"\r\n\r\n--fw\r\nContent-Type: text/plain\r\n\r\nVedi allegato.\r\n--fw\r\n' +
          'Content-Type: message/rfc822; name="postacert.eml"\r\nContent-Disposition: attachment; filename="postacert.eml"\r\n\r\n',
      ),
      busta,
      Buffer.from('\r\n--fw--\r\n'),
    ]);
    r = inspectMessage(forward);
    assert.deepEqual([r.kind, r.signature.present, r.signature.code], ['non-pec', false, 'no-signature']);

    r = inspectMessage(edit(busta, 'filename="daticert.xml"', 'filename="altro.xml"'));
    assert.equal(r.signature.intact, false);
    assert.ok(r.problems.includes('daticert.xml missing'));
    assert.ok(r.problems.some((p) => p.startsWith('signature not intact (digest-mismatch)')));
  });

  test('From must match the signing certificate, and trust failures become problems', () => {
    const acc = fx.messages.get('accettazione')!;
    const r = inspectMessage(edit(acc, /^From: .*$/im, 'From: posta-certificata@pec.beta.test'), { trust });
    assert.ok(
      r.problems.some((p) => p.includes('differs from the signer certificate')),
      r.problems.join('; '),
    );
    assert.equal(r.signature.code, 'provider-domain-mismatch');
    assert.equal(r.signature.trusted, false);
    assert.ok(r.problems.some((p) => p.startsWith('signature not trusted (provider-domain-mismatch)')));
  });

  test('damage inside the original is not a problem of the busta', async () => {
    const now = new Date();
    const broken = Buffer.from(
      'From: alice@pec.alfa.test\r\nTo: bob@pec.beta.test\r\nSubject: rotto\r\nMessage-ID: <rotto@client>\r\n' +
        'Content-Type: multipart/mixed; boundary="x"\r\n\r\n--x\r\nContent-Type: application/pdf; name="a.pdf"\r\n' +
        'Content-Transfer-Encoding: base64\r\n\r\nJVBE!!!Rg==AAA\r\n',
    );
    const busta = await buildBustaTrasporto({
      ctx: { provider: demoProviders.alfa, signer: fx.alfa, now },
      original: broken,
      sender: 'alice@pec.alfa.test',
      recipients: [demoRecipients[0]],
      identificativo: newPecMessageId(now, { domain: demoProviders.alfa.domain }),
    });
    const r = inspectMessage(messageBytes(busta), { trust });
    assert.deepEqual([r.kind, r.signature.trusted], ['posta-certificata', true]);
    assert.deepEqual(r.problems, []);
    assert.match(r.original?.toString() ?? '', /JVBE!!!Rg==AAA/);
  });

  test('daticert elements are checked against the kind (spec §3 table)', () => {
    const daticert = writeDaticert({
      tipo: 'errore-consegna',
      errore: 'nessuno',
      intestazione: {
        mittente: 'alice@pec.alfa.test',
        destinatari: [{ address: 'bob@pec.beta.test', tipo: 'certificato' }],
        risposte: 'alice@pec.alfa.test',
      },
      dati: {
        gestoreEmittente: 'Beta PEC S.r.l.',
        data: { giorno: '15/01/2024', ora: '10:05:07', zona: '+0100' },
        identificativo: 'x@pec.alfa.test',
      },
    });
    const raw = Buffer.from(
      'From: posta-certificata@pec.beta.test\r\nSubject: AVVISO DI MANCATA CONSEGNA: x\r\nX-Ricevuta: errore-consegna\r\n' +
        'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: application/xml; name="daticert.xml"\r\n\r\n' +
        `${daticert}\r\n--b--\r\n`,
    );
    const r = inspectMessage(raw);
    assert.equal(r.kind, 'errore-consegna');
    assert.equal(r.error, null);
    assert.ok(r.problems.includes('daticert errore-consegna without consegna'), r.problems.join('; '));
    assert.ok(r.problems.includes('daticert errore-consegna with errore "nessuno"'));
    assert.ok(r.problems.includes('PEC message without S/MIME signature'));
  });

  test('unsigned and unreadable inputs still get a verdict', () => {
    for (const raw of [
      Buffer.alloc(0),
      Buffer.from('\x00\x01\x02'),
      Buffer.from('X-Trasporto: posta-certificata\r\n\r\n'),
    ]) {
      const r = inspectMessage(raw);
      assert.equal(r.signature.present, false);
      assert.ok(r.kind === 'non-pec' || r.kind === 'posta-certificata');
    }
    const claimed = inspectMessage(
      Buffer.from('X-Trasporto: posta-certificata\r\nSubject: POSTA CERTIFICATA: x\r\n\r\nciao'),
    );
    assert.deepEqual(claimed.problems, [
      'PEC message without S/MIME signature',
      'daticert.xml missing',
      'postacert.eml missing',
    ]);
  });
});

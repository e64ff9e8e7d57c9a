import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { DaticertError, daticertTipi, parseDaticert, writeDaticert, type Daticert } from './daticert';

const dtd = path.join(__dirname, 'daticert.dtd');
const dir = mkdtempSync(path.join(tmpdir(), 'daticert-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Validates many files in one xmllint run; returns its exit status and stderr. */
function xmllint(files: string[]): { status: number; stderr: string } {
  try {
    execFileSync('xmllint', ['--noout', '--dtdvalid', dtd, ...files], { stdio: 'pipe' });
    return { status: 0, stderr: '' };
  } catch (err) {
    const e = err as { status: number; stderr: Buffer };
    return { status: e.status, stderr: e.stderr.toString() };
  }
}

const tricky = `Fattura n. 12 & "allegati" <urgente> l'è già ok €`;

function sample(tipo: Daticert['tipo']): Daticert {
  const d: Daticert = {
    tipo,
    errore: 'nessuno',
    intestazione: {
      mittente: 'alice@pec.alfa.test',
      destinatari: [
        { address: 'bob@pec.beta.test', tipo: 'certificato' },
        { address: 'dave&co@example.com', tipo: 'esterno' },
      ],
      risposte: 'alice@pec.alfa.test',
      oggetto: tricky,
    },
    dati: {
      gestoreEmittente: 'Alfa PEC S.p.A. <test>',
      data: { giorno: '31/03/2024', ora: '03:00:00', zona: '+0200' },
      identificativo: 'opec1.20240331030000.abc.n1@pec.alfa.test',
      msgid: '<a"b&c@client.example>',
    },
  };
  if (tipo === 'posta-certificata' || tipo === 'avvenuta-consegna') d.dati.ricevuta = 'breve';
  if (tipo === 'presa-in-carico') d.dati.ricezione = ['bob@pec.beta.test', 'carol@pec.beta.test'];
  if (['avvenuta-consegna', 'errore-consegna', 'preavviso-errore-consegna', 'rilevazione-virus'].includes(tipo)) {
    d.dati.consegna = 'bob@pec.beta.test';
  }
  if (tipo === 'errore-consegna') {
    d.errore = 'no-dest';
    d.dati.erroreEsteso = '5.1.1 - Beta PEC - indirizzo non valido';
  }
  if (tipo === 'non-accettazione' || tipo === 'rilevazione-virus') {
    d.errore = tipo === 'rilevazione-virus' ? 'virus' : 'altro';
    d.dati.erroreEsteso = 'Destinatari non coerenti con l\'intestazione <To/Cc>';
  }
  return d;
}

test('every tipo is written DTD-valid, escaped, and parses back to the same data', () => {
  const files = daticertTipi.map((tipo) => {
    const file = path.join(dir, `${tipo}.xml`);
    const xml = writeDaticert(sample(tipo));
    assert.match(xml, /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<postacert /);
    writeFileSync(file, xml, 'utf8');
    const { date, ...parsed } = parseDaticert(Buffer.from(xml, 'utf8'));
    assert.deepEqual(parsed, sample(tipo));
    assert.equal(date, '2024-03-31T03:00:00+02:00');
    return file;
  });
  const r = xmllint(files);
  assert.equal(r.status, 0, r.stderr);
  const xml = writeDaticert(sample('accettazione'));
  assert.ok(xml.includes('Fattura n. 12 &amp; &quot;allegati&quot; &lt;urgente&gt;'));
  assert.ok(xml.includes('<msgid>&lt;a&quot;b&amp;c@client.example&gt;</msgid>'));
});

test('optional elements may be absent; control characters are dropped', () => {
  const d = sample('accettazione');
  delete d.intestazione.oggetto;
  delete d.dati.msgid;
  const file = path.join(dir, 'minimal.xml');
  writeFileSync(file, writeDaticert(d));
  assert.equal(xmllint([file]).status, 0);
  const { date: _date, ...parsed } = parseDaticert(writeDaticert(d));
  assert.deepEqual(parsed, d);
  const withCtl = sample('accettazione');
  withCtl.intestazione.oggetto = 'a\u0001b\u001fc';
  assert.equal(parseDaticert(writeDaticert(withCtl)).intestazione.oggetto, 'abc');
});

test('writer rejects values the DTD forbids', () => {
  assert.throws(() => writeDaticert({ ...sample('accettazione'), tipo: 'consegna' as never }), DaticertError);
  assert.throws(() => writeDaticert({ ...sample('accettazione'), errore: 'boh' as never }), DaticertError);
  const bad = sample('accettazione');
  bad.dati.data.zona = 'CET';
  assert.throws(() => writeDaticert(bad), /zona/);
  const none = sample('accettazione');
  none.intestazione.destinatari = [];
  assert.throws(() => writeDaticert(none), /destinatari/);
});

// Shaped like real provider files: indentation, stray text after </risposte>, attribute-less
// destinatari, self-closing ricevuta, double-escaped msgid, numeric and HTML entities.
const quirky = `<?xml version="1.0" encoding="ISO-8859-1"?>
<postacert tipo="avvenuta-consegna">
    <intestazione>
        <mittente>  sender@fakepec.it </mittente>
        <destinatari>rec@pec.it</destinatari>
        <destinatari tipo="esterno">x@example.com</destinatari>
        <risposte>sender@fakepec.it</risposte>a
        <oggetto>Perch\u00e9 c&#232; &egrave; &amp; pi&#xF9;</oggetto>
    </intestazione>
    <dati>
        <gestore-emittente>FAKE PEC S.p.A.</gestore-emittente>
        <data zona="+0100">
            <giorno>15/11/2024</giorno>
            <ora>18:21:03</ora>
        </data>
        <identificativo>opec210312.20241115182038.288127.606.1.53@fakepec.it</identificativo>
        <msgid>&amp;lt;SN05IE$951@fakepec.it&amp;gt;</msgid>
        <ricevuta tipo="completa"/>
        <consegna>rec@pec.it</consegna>
    </dati>
</postacert>
`;

test('parser tolerates real-world quirks (ISO-8859-1, entities, whitespace, stray text)', () => {
  const p = parseDaticert(Buffer.from(quirky, 'latin1'));
  assert.equal(p.tipo, 'avvenuta-consegna');
  assert.equal(p.errore, 'nessuno');
  assert.equal(p.intestazione.mittente, 'sender@fakepec.it');
  assert.deepEqual(p.intestazione.destinatari, [
    { address: 'rec@pec.it', tipo: 'certificato' },
    { address: 'x@example.com', tipo: 'esterno' },
  ]);
  assert.equal(p.intestazione.oggetto, 'Perché cè è & più');
  assert.equal(p.dati.msgid, '<SN05IE$951@fakepec.it>');
  assert.equal(p.dati.ricevuta, 'completa');
  assert.equal(p.dati.consegna, 'rec@pec.it');
  assert.equal(p.date, '2024-11-15T18:21:03+01:00');
  // Declared UTF-8 but holding Latin-1 bytes: decoded as Latin-1 instead of producing U+FFFD.
  const mislabelled = Buffer.from(quirky.replace('ISO-8859-1', 'UTF-8'), 'latin1');
  assert.equal(parseDaticert(mislabelled).intestazione.oggetto, 'Perché cè è & più');
  // UTF-8 with BOM.
  const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(writeDaticert(sample('accettazione')), 'utf8')]);
  assert.equal(parseDaticert(bom).intestazione.oggetto, tricky);
});

test('missing risposte falls back to the sender; missing mandatory data is a clear error', () => {
  const noRisposte = quirky.replace(/<risposte>.*<\/risposte>a/, '');
  assert.equal(parseDaticert(noRisposte).intestazione.risposte, 'sender@fakepec.it');
  assert.throws(() => parseDaticert(quirky.replace(/<identificativo>.*<\/identificativo>/, '')), /missing identificativo/);
  assert.throws(() => parseDaticert(quirky.replace('tipo="avvenuta-consegna"', '')), /postacert\/@tipo/);
  assert.throws(() => parseDaticert(quirky.replace('<giorno>15/11/2024', '<giorno>2024-11-15')), /Invalid PEC date/);
});

test('broken XML throws DaticertError naming the problem', () => {
  assert.throws(() => parseDaticert('<postacert tipo="accettazione"><intestazione></postacert>'), (err: unknown) => {
    assert.ok(err instanceof DaticertError);
    assert.match(err.message, /malformed XML at line 1/);
    return true;
  });
  assert.throws(() => parseDaticert(''), DaticertError);
  assert.throws(() => parseDaticert('<other/>'), /<postacert> not found/);
  // "<" inside an attribute value is malformed, not silently dropped
  assert.throws(() => parseDaticert(quirky.replace('tipo="esterno"', 'tipo="est<erno"')), /malformed XML at line 6/);
  // a bare "&" is reported at its own line, although the parser only notices it at the next ";"
  assert.throws(
    () => parseDaticert(quirky.replace('FAKE PEC S.p.A.', 'Rossi & Figli')),
    /malformed XML at line 11: "&" that starts no entity reference/,
  );
  assert.throws(() => parseDaticert(quirky.replace('</postacert>', '</postacert>x')), /malformed XML at line \d+: text data outside of root/);
});

test('characters XML forbids, written or referenced, become U+FFFD; a loose XML declaration is ignored', () => {
  const p = parseDaticert(quirky.replace('Perch\u00e9', 'dell&#18;art\u0001'));
  assert.equal(p.intestazione.oggetto, 'dell\uFFFDart\uFFFD c\u00e8 \u00e8 & pi\u00f9');
  const loose = quirky.replace('<?xml version="1.0" encoding="ISO-8859-1"?>', "<?xml version=1.0 encoding='ISO-8859-1'?>");
  assert.equal(parseDaticert(Buffer.from(loose, 'latin1')).intestazione.oggetto, 'Perch\u00e9 c\u00e8 \u00e8 & pi\u00f9');
  // a blank line before the declaration (sloppy generators) is not an error either
  assert.equal(parseDaticert(`\r\n${quirky}`).intestazione.mittente, 'sender@fakepec.it');
  // the dropped declaration keeps line numbers: the broken tag is still reported on line 5
  assert.throws(() => parseDaticert(loose.replace('<destinatari>rec', '<destinatari rec')), /malformed XML at line 5/);
});

/**
 * The RFC 3464 report, read back by an independent MIME parser (Python's standard `email`
 * package, which understands multipart/report and message/delivery-status).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { buildDeliveryStatus, smtpFailureStatus } from './dsn';

interface Parsed {
  contentType: string;
  reportType: string | null;
  from: string;
  to: string;
  subject: string;
  autoSubmitted: string;
  parts: string[];
  text: string;
  statusBlocks: Record<string, string>[];
  originalHeaders: string;
  defects: number;
}

const reader = String.raw`
import email, json, sys
from email import policy
m = email.message_from_bytes(sys.stdin.buffer.read(), policy=policy.default)
parts = list(m.iter_parts())
status = next(p for p in parts if p.get_content_type() == 'message/delivery-status')
defects = len(m.defects) + sum(len(p.defects) for p in m.walk())
print(json.dumps({
  'contentType': m.get_content_type(),
  'reportType': m.get_param('report-type'),
  'from': str(m['from']), 'to': str(m['to']), 'subject': str(m['subject']),
  'autoSubmitted': str(m['auto-submitted']),
  'parts': [p.get_content_type() for p in parts],
  'text': parts[0].get_content(),
  'statusBlocks': [dict(b.items()) for b in status.get_payload()],
  'originalHeaders': next(p for p in parts if p.get_content_type() == 'text/rfc822-headers').get_payload(decode=True).decode('utf-8'),
  'defects': defects,
}))
`;

function parse(data: Buffer): Parsed {
  const run = spawnSync('python3', ['-c', reader], { input: data });
  assert.equal(run.status, 0, run.stderr.toString());
  return JSON.parse(run.stdout.toString()) as Parsed;
}

const provider = { name: 'Alfa PEC S.p.A.', domain: 'pec.alfa.test', timeZone: 'Europe/Rome' };
const original = Buffer.from(
  'From: alice@pec.alfa.test\r\nTo: dave@example.test, erin@example.test\r\nSubject: =?UTF-8?B?RmF0dHVyYSBuLiAxMiDigqw=?=\r\nMessage-ID: <f12@client.alfa.test>\r\n\r\nCorpo che non deve comparire.\r\n',
);

describe('delivery status notification (RFC 3464)', () => {
  it('is a multipart/report a standard parser reads: explanation, one block per recipient, original headers', () => {
    const now = new Date('2026-03-02T10:00:00Z');
    const built = buildDeliveryStatus({
      ctx: { provider, now },
      original,
      to: 'alice@pec.alfa.test',
      arrivalDate: new Date('2026-03-02T09:59:58Z'),
      envelopeId: 'opec210.20260302105958.abc.n1@pec.alfa.test',
      recipients: [
        {
          address: 'dave@example.test',
          status: '5.1.1',
          diagnostic: '550 5.1.1 no such user',
          lastAttempt: now,
        },
        {
          address: 'erin@example.test',
          status: '5.0.0',
          diagnostic: '554 rifiutato: è spam\r\n',
          lastAttempt: now,
        },
      ],
    });
    assert.deepEqual(built.envelope, { from: '', to: ['alice@pec.alfa.test'] });
    const p = parse(built.data);
    assert.equal(p.defects, 0);
    assert.equal(p.contentType, 'multipart/report');
    assert.equal(p.reportType, 'delivery-status');
    assert.deepEqual(p.parts, ['text/plain', 'message/delivery-status', 'text/rfc822-headers']);
    assert.equal(p.from, 'Mail Delivery System <posta-certificata@pec.alfa.test>');
    assert.equal(p.to, 'alice@pec.alfa.test');
    assert.equal(p.subject, 'Mancato recapito / Undelivered Mail: Fattura n. 12 €');
    assert.equal(p.autoSubmitted, 'auto-replied');
    // Italian first, then English, both naming the recipients and the subject
    assert.match(
      p.text,
      /Il giorno 02\/03\/2026 alle ore 11:00:00 \(\+0100\) il messaggio "Fattura n\. 12 €" non è stato recapitato/,
    );
    assert.match(p.text, /rifiutato il messaggio in modo definitivo/);
    assert.match(p.text, /Your message "Fattura n\. 12 €" could not be delivered/);
    assert.match(p.text, /dave@example\.test: 550 5\.1\.1 no such user/);
    assert.ok(p.text.indexOf('Avviso di mancato recapito') < p.text.indexOf('Delivery failure notice'));

    const [perMessage, dave, erin] = p.statusBlocks;
    assert.equal(perMessage['Reporting-MTA'], 'dns; pec.alfa.test');
    assert.equal(perMessage['Original-Envelope-Id'], 'opec210.20260302105958.abc.n1@pec.alfa.test');
    assert.equal(perMessage['Arrival-Date'], 'Mon, 2 Mar 2026 10:59:58 +0100');
    assert.equal(dave['Final-Recipient'], 'rfc822; dave@example.test');
    assert.equal(dave.Action, 'failed');
    assert.equal(dave.Status, '5.1.1');
    assert.equal(dave['Diagnostic-Code'], 'smtp; 550 5.1.1 no such user');
    // the status part is US-ASCII on one line: a non-ASCII answer cannot break it
    assert.equal(erin['Diagnostic-Code'], 'smtp; 554 rifiutato: ? spam');
    assert.equal(erin.Status, '5.0.0');
    assert.equal(p.statusBlocks.length, 3);

    assert.match(p.originalHeaders, /^From: alice@pec\.alfa\.test\r?\n/);
    assert.match(p.originalHeaders, /Message-ID: <f12@client\.alfa\.test>/);
    assert.doesNotMatch(p.originalHeaders, /Corpo/);
  });

  it('states the expiry in both languages, with no diagnostic when no server answered', () => {
    const now = new Date('2026-03-03T10:00:00Z');
    const p = parse(
      buildDeliveryStatus({
        ctx: { provider, now },
        original,
        to: 'alice@pec.alfa.test',
        arrivalDate: new Date('2026-03-02T10:00:00Z'),
        recipients: [{ address: 'dave@example.test', status: '4.4.7', lastAttempt: now }],
      }).data,
    );
    assert.equal(p.defects, 0);
    assert.match(p.text, /entro il tempo massimo di permanenza in coda \(24 ore\)/);
    assert.match(p.text, /within the maximum queue time/);
    assert.match(p.text, /dave@example\.test: nessuna risposta dal server del destinatario/);
    assert.equal(p.statusBlocks[1].Status, '4.4.7');
    assert.equal(p.statusBlocks[1]['Diagnostic-Code'], undefined);
    assert.equal(p.statusBlocks[0]['Original-Envelope-Id'], undefined);
  });

  it('takes the status from the peer’s enhanced code, else a generic one', () => {
    assert.equal(
      smtpFailureStatus('550 5.1.1 <dave@example.test>: Recipient address rejected', false),
      '5.1.1',
    );
    assert.equal(smtpFailureStatus('127.0.0.1:2525: 554 5.7.1 busta rifiutata', false), '5.7.1');
    assert.equal(smtpFailureStatus('554 transaction failed', false), '5.0.0');
    // a transient enhanced code is not a final status
    assert.equal(smtpFailureStatus('550 4.2.2 mailbox full', false), '5.0.0');
    assert.equal(smtpFailureStatus('451 4.3.0 try later', true), '4.4.7');
    assert.equal(smtpFailureStatus(undefined, false), '5.0.0');
  });
});

/**
 * A 30 MB busta (the Italian size limit, spec §2.6) is inspected in a child process: correct
 * verdict, quickly, and without copying the message (the reader works on views of the input).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { demoProviders, demoRecipients } from './build/demo';
import { buildBustaTrasporto } from './build/busta';
import { newPecMessageId } from './identifiers';
import { readFixtures } from './testing/inspect-fixtures';

const dir = mkdtempSync(path.join(tmpdir(), 'inspect-large-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const targetSize = 30 * 1024 * 1024;

function bigOriginal(): Buffer {
  // base64 grows 4/3 plus CRLF every 76 characters: pick the binary size that lands near 30 MB.
  const binary = randomBytes(Math.floor((targetSize * 3) / 4 / (78 / 76)) - 4096);
  const head = [
    'From: alice@pec.alfa.test',
    'To: bob@pec.beta.test',
    'Subject: Allegato grande',
    'Message-ID: <big-1@client.alfa.test>',
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="big"',
    '',
    '--big',
    'Content-Type: text/plain; charset=utf-8',
    '',
    'In allegato il fascicolo.',
    '--big',
    'Content-Type: application/octet-stream; name="fascicolo.bin"',
    'Content-Disposition: attachment; filename="fascicolo.bin"',
    'Content-Transfer-Encoding: base64',
    '',
    '',
  ].join('\r\n');
  return Buffer.concat([
    Buffer.from(head),
    Buffer.from(binary.toString('base64').replace(/.{76}/g, '$&\r\n')),
    Buffer.from('\r\n--big--\r\n'),
  ]);
}

test('a 30 MB busta is classified and verified without copying it', async () => {
  const fx = await readFixtures();
  const now = new Date();
  const busta = await buildBustaTrasporto({
    ctx: { provider: demoProviders.alfa, signer: fx.alfa, now },
    original: bigOriginal(),
    sender: 'alice@pec.alfa.test',
    recipients: [demoRecipients[0]],
    identificativo: newPecMessageId(now, { domain: demoProviders.alfa.domain }),
  });
  const file = path.join(dir, 'big.eml');
  const fd = openSync(file, 'w');
  for (const chunk of busta.chunks) writeSync(fd, chunk);
  closeSync(fd);

  const child = spawnSync(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', path.join(__dirname, 'testing', 'inspect-large-child.ts'), file],
    {
      encoding: 'utf8',
    },
  );
  assert.equal(child.status, 0, child.stderr);
  const r = JSON.parse(child.stdout) as {
    size: number;
    kind: string;
    receiptType: string;
    intact: boolean;
    problems: string[];
    originalLength: number;
    originalIsView: boolean;
    ms: number;
    peakAddedBytes: number;
    heapAddedBytes: number;
  };
  console.log(
    `30 MB inspect: ${(r.size / 1048576).toFixed(1)} MB in ${r.ms.toFixed(0)} ms, peak RSS +${(r.peakAddedBytes / 1048576).toFixed(1)} MB, heap +${(r.heapAddedBytes / 1048576).toFixed(1)} MB`,
  );
  assert.ok(r.size >= 29 * 1024 * 1024 && r.size <= 31 * 1024 * 1024, `${r.size} bytes`);
  assert.deepEqual([r.kind, r.receiptType, r.intact], ['posta-certificata', 'completa', true]);
  assert.deepEqual(r.problems, []);
  assert.ok(r.originalLength > 29 * 1024 * 1024);
  assert.equal(r.originalIsView, true, 'postacert.eml is a view of the input');
  // One more copy of the message would add 30 MB: stay well under that.
  assert.ok(r.peakAddedBytes < 16 * 1024 * 1024, `peak RSS grew by ${r.peakAddedBytes} bytes`);
  assert.ok(r.ms < 10_000, `${r.ms} ms`);
});

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { skipUnspooledStreamCleanup, type HarakaTransaction } from './haraka';

// Haraka's own transaction (and the message stream it makes), as a connection gets it.
const { createTransaction } = createRequire(__filename)('Haraka/transaction.js') as {
  createTransaction(
    uuid: string,
    cfg: { main: Record<string, unknown> },
  ): HarakaTransaction & {
    message_stream: { add_line(line: Buffer): void; add_line_end(cb: () => void): void };
  };
};

const spoolDir = mkdtempSync(path.join(os.tmpdir(), 'pec-haraka-stream-'));
after(() => rmSync(spoolDir, { recursive: true, force: true }));

async function transactionWith(uuid: string, body: string, spoolAfter: number) {
  const transaction = createTransaction(uuid, { main: { spool_dir: spoolDir, spool_after: spoolAfter } });
  for (const line of body.split(/(?<=\n)/)) transaction.message_stream.add_line(Buffer.from(line));
  await new Promise<void>((resolve) => transaction.message_stream.add_line_end(resolve));
  return { transaction, file: path.join(spoolDir, `${uuid}.eml`) };
}

async function until(condition: () => boolean, ms = 2000): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end;) {
    if (condition()) return true;
    await new Promise((r) => setTimeout(r, 10));
  }
  return condition();
}

describe('skipUnspooledStreamCleanup', () => {
  const message = 'Subject: hello\r\n\r\nbody\r\n';

  it("leaves alone the file named like an in-memory message's spool file, which Haraka alone would unlink", async () => {
    // Haraka's own behaviour first: a file under that name goes, though the stream never wrote it.
    const plain = await transactionWith('in-memory-1', message, 1_000_000);
    writeFileSync(plain.file, 'not the stream’s');
    plain.transaction.message_stream.destroy();
    assert.ok(await until(() => !existsSync(plain.file)), 'Haraka unlinks it');

    const skipped = await transactionWith('in-memory-2', message, 1_000_000);
    assert.equal(skipped.transaction.message_stream.spooling, false);
    writeFileSync(skipped.file, 'not the stream’s');
    skipUnspooledStreamCleanup({ transaction: skipped.transaction });
    skipped.transaction.message_stream.destroy();
    await new Promise((r) => setTimeout(r, 200));
    assert.ok(existsSync(skipped.file), 'no unlink was made');
  });

  it('keeps the cleanup of a message that did spool to disk', async () => {
    const spooled = await transactionWith('spooled-1', message.repeat(50), 100);
    assert.equal(spooled.transaction.message_stream.spooling, true);
    assert.ok(existsSync(spooled.file), 'the stream wrote its spool file');
    skipUnspooledStreamCleanup({ transaction: spooled.transaction });
    spooled.transaction.message_stream.destroy();
    assert.ok(await until(() => !existsSync(spooled.file)), 'its spool file is removed');
  });

  it('does nothing without a transaction', () => {
    assert.doesNotThrow(() => skipUnspooledStreamCleanup({ transaction: null }));
  });
});

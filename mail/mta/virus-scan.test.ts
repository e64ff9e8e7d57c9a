/**
 * The clamd client against a real clamd (Debian clamav-daemon) with a one-signature EICAR database:
 * clean and infected streams, an infected attachment inside MIME, a busy stream split in chunks, a
 * unix socket, and the failures that must become a temporary refusal.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { findFreePort } from '@/lib/db/testing';
import { eicar, eicarSignatureName, startTestClamd, type TestClamd } from './testing/clamd';
import { ClamdScanner, parseClamdAddress, VirusScanUnavailableError } from './virus-scan';

let clamd: TestClamd;
before(async () => {
  clamd = await startTestClamd();
});
after(async () => {
  await clamd?.close();
});

const mimeWith = (attachment: Buffer) =>
  Buffer.from(
    [
      'From: alice@pec.alfa.test',
      'To: bob@pec.beta.test',
      'Subject: allegato',
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="b1"',
      '',
      '--b1',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'Buongiorno, in allegato il documento.',
      '--b1',
      'Content-Type: application/octet-stream; name="doc.com"',
      'Content-Transfer-Encoding: base64',
      'Content-Disposition: attachment; filename="doc.com"',
      '',
      attachment.toString('base64'),
      '--b1--',
      '',
    ].join('\r\n'),
  );

describe('ClamdScanner (real clamd)', () => {
  it('answers PONG, passes clean data and names the signature of infected data', async () => {
    assert.equal(await clamd.scanner.ping(), true);
    assert.deepEqual(await clamd.scanner.scan(Buffer.from('nothing to see here\r\n')), { infected: false });
    assert.deepEqual(await clamd.scanner.scan(eicar), { infected: true, virus: eicarSignatureName });
  });

  it('finds EICAR base64-encoded in a MIME attachment, and streams large data in chunks', async () => {
    assert.deepEqual(await clamd.scanner.scan(mimeWith(eicar)), {
      infected: true,
      virus: eicarSignatureName,
    });
    assert.deepEqual(await clamd.scanner.scan(mimeWith(Buffer.from('%PDF-1.4 innocuo'))), {
      infected: false,
    });
    const small = new ClamdScanner({ address: { host: clamd.host, port: clamd.port }, chunkBytes: 1000 });
    const big = Buffer.concat([Buffer.alloc(3 * 1024 * 1024, 'a'), eicar, Buffer.from('\r\n')]);
    assert.deepEqual(await small.scan([big.subarray(0, 12345), big.subarray(12345)]), {
      infected: true,
      virus: eicarSignatureName,
    });
  });

  it('speaks to clamd over its unix socket too', async () => {
    const local = new ClamdScanner({ address: parseClamdAddress(`unix:${clamd.socketPath}`) });
    assert.equal(await local.ping(), true);
    assert.deepEqual(await local.scan(mimeWith(eicar)), { infected: true, virus: eicarSignatureName });
  });

  it('parses TCP and unix socket addresses', () => {
    assert.deepEqual(parseClamdAddress('clamav:3310'), { host: 'clamav', port: 3310 });
    assert.deepEqual(parseClamdAddress('tcp://127.0.0.1:3310'), { host: '127.0.0.1', port: 3310 });
    assert.deepEqual(parseClamdAddress('unix:/run/clamav/clamd.ctl'), {
      socketPath: '/run/clamav/clamd.ctl',
    });
    assert.deepEqual(parseClamdAddress('/run/clamav/clamd.ctl'), { socketPath: '/run/clamav/clamd.ctl' });
    assert.throws(() => parseClamdAddress('clamav'), /not a clamd address/);
    assert.throws(() => parseClamdAddress('clamav:99999'), /not a clamd address/);
  });

  it('nobody listening, a silent peer, a missing socket: VirusScanUnavailableError, never "clean"', async () => {
    const closedPort = await findFreePort();
    const down = new ClamdScanner({ address: { host: '127.0.0.1', port: closedPort }, timeoutMs: 2000 });
    await assert.rejects(down.scan(eicar), VirusScanUnavailableError);
    assert.equal(await down.ping(), false);

    // accepts the connection and never answers: the timeout decides
    const silent = net.createServer((s) => s.on('data', () => undefined));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as net.AddressInfo).port;
    const started = Date.now();
    await assert.rejects(
      new ClamdScanner({ address: { host: '127.0.0.1', port }, timeoutMs: 300 }).scan(Buffer.from('x')),
      (err: Error) => err instanceof VirusScanUnavailableError && /within 300 ms/.test(err.message),
    );
    assert.ok(Date.now() - started < 2000);
    await new Promise((r) => silent.close(r));

    await assert.rejects(
      new ClamdScanner({ address: { socketPath: '/nonexistent/clamd.ctl' } }).scan(Buffer.from('x')),
      VirusScanUnavailableError,
    );
  });

  it('an ERROR answer (stream over clamd’s StreamMaxLength) is a failure, not a verdict', async () => {
    await assert.rejects(
      clamd.scanner.scan(Buffer.alloc(9 * 1024 * 1024, 'a')),
      // clamd answers "INSTREAM size limit exceeded" and closes; when its close races one of our
      // writes the answer is lost in the kernel and the client says the stream was cut off.
      (err: Error) =>
        err instanceof VirusScanUnavailableError &&
        /size limit exceeded|closed the connection after \d+ bytes, before answering/i.test(err.message),
    );
  });
});

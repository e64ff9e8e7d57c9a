import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { after, describe, test } from 'node:test';
import { loadConfig } from '@/lib/config';
import { findFreePort, isPortOpen } from '../../lib/testing/free-port';
import {
  harakaSourceDir,
  listenAddress,
  pluginsDir,
  prepareHarakaRuntime,
  setMainIniValue,
} from './haraka-runtime';
import { repoRoot } from './portal-build';
import { SmtpDialogue } from './smtp-dialogue';
import { SupervisedProcess } from './supervised-process';

describe('setMainIniValue', () => {
  test('replaces a key in [main] and leaves other sections alone', () => {
    const ini = '; comment\n[main]\nlisten=1.2.3.4:25\nnodes=cpus\n\n[other]\nlisten=keep\n';
    assert.equal(
      setMainIniValue(ini, 'listen', '127.0.0.1:2525'),
      '; comment\n[main]\nlisten=127.0.0.1:2525\nnodes=cpus\n\n[other]\nlisten=keep\n',
    );
  });
  test('adds a missing key at the end of [main], before the next section', () => {
    assert.equal(
      setMainIniValue('[main]\na=1\n\n[x]\nb=2\n', 'nodes', '0'),
      '[main]\na=1\nnodes=0\n\n[x]\nb=2\n',
    );
    assert.equal(setMainIniValue('[x]\nb=2\n', 'nodes', '0'), 'nodes=0\n[x]\nb=2\n');
  });
  test('commented-out keys are not mistaken for settings', () => {
    assert.equal(setMainIniValue(';listen=[::0]:25\n', 'listen', 'h:1'), ';listen=[::0]:25\nlisten=h:1\n');
  });
  test('IPv6 listen addresses are bracketed', () => {
    assert.equal(listenAddress('::1', 25), '[::1]:25');
    assert.equal(listenAddress('127.0.0.1', 2525), '127.0.0.1:2525');
  });
});

describe('Haraka from the generated runtime directory', () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'pec-haraka-'));
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  test('listens on the configured port, greets, accepts only the own domain, stops on SIGINT', async () => {
    const port = await findFreePort();
    const config = loadConfig({
      PEC_DATA_DIR: dataDir,
      MTA_INBOUND_PORT: String(port),
      PEC_MAIL_DOMAIN: 'pec.prova.test',
    });
    const dir = prepareHarakaRuntime(config);
    assert.equal(dir, path.join(dataDir, 'haraka'));
    const smtpIni = readFileSync(path.join(dir, 'config', 'smtp.ini'), 'utf8');
    assert.match(smtpIni, new RegExp(`^listen=127\\.0\\.0\\.1:${port}$`, 'm'));
    assert.match(smtpIni, /^nodes=0$/m);
    assert.equal(readFileSync(path.join(dir, 'config', 'host_list'), 'utf8'), 'pec.prova.test\n');
    // LOG_LEVEL info (the default) is Haraka's NOTICE: no per-hook INFO trace on every message.
    assert.match(readFileSync(path.join(dir, 'config', 'log.ini'), 'utf8'), /^level=notice$/m);
    // The source template is untouched.
    assert.match(
      readFileSync(path.join(harakaSourceDir, 'config', 'smtp.ini'), 'utf8'),
      /listen=127\.0\.0\.1:2525/,
    );

    const log = new PassThrough();
    let output = '';
    log.on('data', (d) => (output += d));
    const haraka = new SupervisedProcess(
      'mta',
      process.execPath,
      [path.join(repoRoot, 'node_modules', 'Haraka', 'bin', 'haraka'), '-c', dir],
      { cwd: dir },
      { stdout: log, stderr: log },
    );
    try {
      const deadline = Date.now() + 20_000;
      while (!(await isPortOpen(port))) {
        assert.ok(haraka.running, `Haraka exited early:\n${output}`);
        assert.ok(Date.now() < deadline, `Haraka did not listen within 20 s:\n${output}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      const { smtp, greeting } = await SmtpDialogue.open('127.0.0.1', port);
      try {
        assert.equal(greeting.code, 220);
        assert.match(greeting.lines.join(' '), /pec\.prova\.test/);
        const ehlo = await smtp.command('EHLO client.test');
        assert.equal(ehlo.code, 250);
        assert.ok(ehlo.lines.length > 1, 'EHLO lists extensions');
        assert.equal((await smtp.command('MAIL FROM:<mittente@esterno.test>')).code, 250);
        assert.equal((await smtp.command('RCPT TO:<casella@pec.prova.test>')).code, 250);
        assert.equal(Math.floor((await smtp.command('RCPT TO:<altro@esterno.test>')).code / 100), 5);
        assert.equal((await smtp.command('QUIT')).code, 221);
      } finally {
        smtp.close();
      }
    } finally {
      const started = Date.now();
      const status = await haraka.stop('SIGINT', 10_000);
      assert.ok(Date.now() - started < 8000, `Haraka took ${Date.now() - started} ms to stop`);
      assert.deepEqual(status, { code: 0, signal: null }, output);
    }
    assert.equal(await isPortOpen(port), false);
    assert.match(output, /^\[mta\] .*Listening on 127\.0\.0\.1:/m);
  });

  test("LOG_LEVEL sets Haraka's level (debug → info, warn → warn)", () => {
    const levelFor = (LOG_LEVEL: string) => {
      const dir = prepareHarakaRuntime(loadConfig({ PEC_DATA_DIR: dataDir, LOG_LEVEL }));
      return /^level=(\w+)$/m.exec(readFileSync(path.join(dir, 'config', 'log.ini'), 'utf8'))?.[1];
    };
    assert.equal(levelFor('debug'), 'info');
    assert.equal(levelFor('warn'), 'warn');
    assert.equal(levelFor('error'), 'error');
  });

  test('plugins/ links to mail/plugins, where the compiled PEC plugins are', () => {
    assert.equal(readlinkSync(path.join(dataDir, 'haraka', 'plugins')), pluginsDir);
    assert.equal(path.relative(repoRoot, pluginsDir), path.join('mail', 'plugins'));
  });
});

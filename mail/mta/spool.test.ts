import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { SmtpRelay } from './relay';
import { Router } from './routing';
import { OutboundSpool, type SpoolOutcome } from './spool';
import { startSmtpSink, type SmtpSink } from './testing/smtp-sink';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'pec-spool-'));
const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
  rmSync(tmp, { recursive: true, force: true });
});

function setup(dir: string, routes: Record<string, { host: string; port: number }>, outcomes: SpoolOutcome[] = []) {
  const relay = new SmtpRelay({ heloName: 'mta.pec.alfa.test', tls: { rejectUnauthorized: false } });
  const spool = new OutboundSpool({
    dir,
    router: new Router({ staticRoutes: routes, resolveMx: async () => [] }),
    relay,
    retryDelaysMs: [100],
    onOutcome: (o) => {
      outcomes.push(o);
    },
  });
  cleanups.push(async () => {
    await spool.stop();
    await relay.close();
  });
  return { spool, relay, outcomes };
}

async function sink(options: Parameters<typeof startSmtpSink>[0] = {}): Promise<SmtpSink> {
  const s = await startSmtpSink(options);
  cleanups.push(() => s.close());
  return s;
}

describe('Outbound spool', () => {
  it('delivers each domain to its route, reports outcomes and leaves the folder empty', async () => {
    const beta = await sink({ rejectRecipients: ['zed@pec.beta.test'] });
    const other = await sink();
    const dir = path.join(tmp, 'a');
    const { spool, outcomes } = setup(dir, {
      'pec.beta.test': { host: '127.0.0.1', port: beta.port },
      'example.test': { host: '127.0.0.1', port: other.port },
    });
    await spool.start();
    await spool.enqueue(
      { from: 'alice@pec.alfa.test', to: ['bob@pec.beta.test', 'zed@pec.beta.test', 'dave@example.test'] },
      [Buffer.from('Subject: one\r\n\r\n'), Buffer.from('body\r\n')],
      'busta',
    );
    await spool.idle();
    assert.equal(spool.size(), 0);
    assert.deepEqual(readdirSync(dir), []);
    assert.equal(beta.messages.length, 1);
    assert.deepEqual(beta.messages[0].to, ['bob@pec.beta.test']);
    assert.equal(beta.messages[0].raw.toString(), 'Subject: one\r\n\r\nbody\r\n');
    assert.deepEqual(other.messages[0].to, ['dave@example.test']);
    const refused = outcomes.find((o) => o.type === 'refused');
    assert.deepEqual(refused?.recipients, ['zed@pec.beta.test']);
    assert.equal(refused?.type === 'refused' && refused.code, 550);
    assert.equal(outcomes.filter((o) => o.type === 'delivered').length, 2);
  });

  it('keeps a message across a restart while the next hop is down, then delivers it', async () => {
    const dir = path.join(tmp, 'b');
    const down = await sink();
    const port = down.port;
    await down.close();
    const first = setup(dir, { 'pec.beta.test': { host: '127.0.0.1', port } });
    await first.spool.start();
    await first.spool.enqueue({ from: 'alice@pec.alfa.test', to: ['bob@pec.beta.test'] }, Buffer.from('Subject: two\r\n\r\nx\r\n'));
    while (!first.outcomes.some((o) => o.type === 'deferred')) await new Promise((r) => setTimeout(r, 20));
    await first.spool.stop();
    assert.equal(readdirSync(dir).filter((n) => n.endsWith('.json')).length, 1);

    // The same folder, a new process' worth of objects, and a next hop that now answers.
    const up = await sink();
    const second = setup(dir, { 'pec.beta.test': { host: '127.0.0.1', port: up.port } });
    await second.spool.start();
    await up.waitFor(1);
    await second.spool.idle();
    assert.equal(up.messages[0].raw.toString(), 'Subject: two\r\n\r\nx\r\n');
    assert.deepEqual(readdirSync(dir), []);
  });
});

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
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

function setup(
  dir: string,
  routes: Record<string, { host: string; port: number }>,
  outcomes: SpoolOutcome[] = [],
  extra: { tombstoneMs?: number; onOutcome?: (o: SpoolOutcome) => void } = {},
) {
  const relay = new SmtpRelay({ heloName: 'mta.pec.alfa.test', tls: { rejectUnauthorized: false } });
  const spool = new OutboundSpool({
    dir,
    router: new Router({ staticRoutes: routes, resolveMx: async () => [] }),
    relay,
    retryDelaysMs: [100],
    ...extra,
    onOutcome:
      extra.onOutcome ??
      ((o) => {
        outcomes.push(o);
      }),
  });
  cleanups.push(async () => {
    await spool.stop();
    await relay.close();
  });
  return { spool, relay, outcomes };
}

/** The folder's names, without spare files (delivered entries' files kept for reuse). */
const queued = (dir: string) => readdirSync(dir).filter((n) => !n.endsWith('.spare'));
const spares = (dir: string) => readdirSync(dir).filter((n) => n.endsWith('.spare'));

async function sink(options: Parameters<typeof startSmtpSink>[0] = {}): Promise<SmtpSink> {
  const s = await startSmtpSink(options);
  cleanups.push(() => s.close());
  return s;
}

describe('Outbound spool', () => {
  it('delivers each domain to its route, reports outcomes and leaves no entry behind', async () => {
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
      { label: 'busta' },
    );
    await spool.idle();
    assert.equal(spool.size(), 0);
    assert.deepEqual(queued(dir), []);
    assert.equal(spares(dir).length, 1, "the delivered entry's file is kept for the next one");
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
    await first.spool.enqueue(
      { from: 'alice@pec.alfa.test', to: ['bob@pec.beta.test'] },
      Buffer.from('Subject: two\r\n\r\nx\r\n'),
    );
    while (!first.outcomes.some((o) => o.type === 'deferred')) await new Promise((r) => setTimeout(r, 20));
    await first.spool.stop();
    const left = queued(dir);
    assert.equal(left.length, 1, 'one file per entry');
    assert.match(left[0], /\.msg$/);

    // The same folder, a new process' worth of objects, and a next hop that now answers.
    const up = await sink();
    const second = setup(dir, { 'pec.beta.test': { host: '127.0.0.1', port: up.port } });
    await second.spool.start();
    await up.waitFor(1);
    await second.spool.idle();
    assert.equal(up.messages[0].raw.toString(), 'Subject: two\r\n\r\nx\r\n');
    assert.deepEqual(queued(dir), []);
  });

  it('keeps a refusal its observer could not record (database down) and reports it again, across a restart, without sending again', async () => {
    const beta = await sink({ rejectRecipients: ['zed@pec.beta.test'] });
    const dir = path.join(tmp, 'unreported');
    let databaseDown = true;
    const reports: string[] = [];
    const spoolFor = () =>
      setup(dir, { 'pec.beta.test': { host: '127.0.0.1', port: beta.port } }, [], {
        onOutcome: (o) => {
          if (o.type !== 'refused') return;
          reports.push(`${o.recipients.join(',')} ${o.code} ${databaseDown ? 'lost' : 'recorded'}`);
          if (databaseDown) throw new Error('database down');
        },
      }).spool;
    const first = spoolFor();
    await first.start();
    await first.enqueue(
      { from: 'alice@pec.alfa.test', to: ['bob@pec.beta.test', 'zed@pec.beta.test'] },
      Buffer.from('Subject: refused\r\n\r\nx\r\n'),
    );
    while (reports.length < 3) await new Promise((r) => setTimeout(r, 20));
    await first.stop();
    assert.equal(first.size(), 1, 'the entry stays while its refusal is unrecorded');
    assert.equal(queued(dir).filter((n) => n.endsWith('.msg')).length, 1);
    assert.equal(beta.messages.length, 1, 'sent once: bob delivered, zed refused, nothing sent again');
    assert.deepEqual(beta.messages[0].to, ['bob@pec.beta.test']);

    // A restart finds the unrecorded refusal in the entry file; the database is back.
    const before = reports.length;
    databaseDown = false;
    const second = spoolFor();
    await second.start();
    await second.idle();
    assert.deepEqual(reports.slice(before), ['zed@pec.beta.test 550 recorded']);
    assert.ok(reports.slice(0, before).every((r) => r === 'zed@pec.beta.test 550 lost'));
    assert.equal(beta.messages.length, 1);
    assert.equal(second.size(), 0);
    assert.deepEqual(queued(dir), []);
  });

  it('sends a keyed message once: while queued, after it left, and after a restart', async () => {
    const dir = path.join(tmp, 'keyed');
    const beta = await sink();
    const routes = { 'pec.beta.test': { host: '127.0.0.1', port: beta.port } };
    const first = setup(dir, routes);
    await first.spool.start();
    const envelope = { from: 'posta-certificata@pec.beta.test', to: ['alice@pec.beta.test'] };
    const key = 'consegna opec.1@pec.alfa.test bob@pec.beta.test';
    // Two concurrent attempts (a retried busta racing the first one) write one entry.
    const [a, b] = await Promise.all([
      first.spool.enqueue(envelope, Buffer.from('Subject: consegna\r\n\r\n1\r\n'), { key }),
      first.spool.enqueue(envelope, Buffer.from('Subject: consegna\r\n\r\n2\r\n'), { key }),
    ]);
    assert.deepEqual([a.created, b.created], [true, false]);
    assert.equal(a.id, b.id);
    await first.spool.idle();
    assert.equal(beta.messages.length, 1);
    assert.equal(
      (await first.spool.enqueue(envelope, Buffer.from('x'), { key })).created,
      false,
      'remembered after it left',
    );
    await first.spool.stop();
    assert.deepEqual(queued(dir), [`${a.id}.sent`], 'only the tombstone is left');

    const second = setup(dir, routes);
    await second.spool.start();
    assert.equal(
      (await second.spool.enqueue(envelope, Buffer.from('x'), { key })).created,
      false,
      'remembered across a restart',
    );
    assert.equal(
      (await second.spool.enqueue(envelope, Buffer.from('Subject: other\r\n\r\n'), { key: 'another key' }))
        .created,
      true,
    );
    await second.spool.idle();
    await second.spool.stop();
    assert.equal(beta.messages.length, 2);

    // Tombstones are forgotten after their period: the key is usable again. The period is 0, but a
    // tombstone made within the current millisecond is not yet older than it (ctime has sub-ms
    // precision, Date.now() does not): let the clock move on first.
    await new Promise((r) => setTimeout(r, 20));
    const third = setup(dir, routes, [], { tombstoneMs: 0 });
    await third.spool.start();
    assert.deepEqual(queued(dir), []);
    assert.equal(
      (await third.spool.enqueue(envelope, Buffer.from('Subject: again\r\n\r\n'), { key })).created,
      true,
    );
    await third.spool.idle();
    assert.equal(beta.messages.length, 3);
  });

  it('queues a batch all or nothing across a crash, and holds entries until released', async () => {
    const beta = await sink();
    const routes = { 'pec.beta.test': { host: '127.0.0.1', port: beta.port } };
    const busta = {
      envelope: { from: 'alice@pec.alfa.test', to: ['bob@pec.beta.test'] },
      data: Buffer.from('Subject: busta\r\n\r\n'),
    };
    const accettazione = {
      envelope: { from: 'posta-certificata@pec.alfa.test', to: ['carol@pec.beta.test'] },
      data: Buffer.from('Subject: accettazione\r\n\r\n'),
    };

    // Crash after the commit point (the batch file renamed to its first member's name) → both are sent.
    const committed = path.join(tmp, 'batch-committed');
    mkdirSync(committed);
    const writer = setup(committed, routes);
    const ids = await writer.spool.enqueueAll([busta, accettazione], { hold: true }); // never started: nothing sent
    assert.deepEqual(queued(committed).sort(), ids.map(({ id }) => `${id}.msg`).sort());
    assert.equal(statSync(path.join(committed, `${ids[0].id}.msg`)).nlink, 2, 'one file for the batch');
    const recovered = setup(committed, routes);
    await recovered.spool.start();
    await beta.waitFor(2);
    await recovered.spool.idle();
    assert.deepEqual(beta.messages.map((m) => m.raw.toString()).sort(), [
      'Subject: accettazione\r\n\r\n',
      'Subject: busta\r\n\r\n',
    ]);
    assert.deepEqual(queued(committed), []);

    // Crash before the commit point: the batch file still under its .group name, linked under the
    // second member's name; and another batch file cut short while being written → nothing is
    // sent, the folder is cleaned.
    const uncommitted = path.join(tmp, 'batch-uncommitted');
    mkdirSync(uncommitted);
    const early = setup(uncommitted, routes);
    const earlyIds = await early.spool.enqueueAll([busta, accettazione], { hold: true });
    renameSync(
      path.join(uncommitted, `${earlyIds[0].id}.msg`),
      path.join(uncommitted, `${earlyIds[0].id}.group`),
    );
    writeFileSync(path.join(uncommitted, 'cut-short.group'), '{"entries":[{"id":"x');
    const restarted = setup(uncommitted, routes);
    await restarted.spool.start();
    await restarted.spool.idle();
    assert.deepEqual(queued(uncommitted), []);
    assert.equal(beta.messages.length, 2);

    // Held entries wait for release().
    const held = setup(path.join(tmp, 'held'), routes);
    await held.spool.start();
    const heldIds = await held.spool.enqueueAll([busta], { hold: true });
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(beta.messages.length, 2, 'not sent while held');
    held.spool.release(heldIds.map((q) => q.id));
    await beta.waitFor(3);

    // Held entries whose state could not be recorded are discarded: never sent, nothing left.
    const discardedDir = path.join(tmp, 'discarded');
    const dropping = setup(discardedDir, routes);
    await dropping.spool.start();
    const dropped = await dropping.spool.enqueueAll([busta, accettazione], { hold: true });
    await dropping.spool.discard(dropped.map((q) => q.id));
    dropping.spool.release(dropped.map((q) => q.id)); // a late release finds nothing
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(beta.messages.length, 3, 'nothing discarded was sent');
    assert.deepEqual(queued(discardedDir), []);
    assert.equal(dropping.spool.size(), 0);
  });

  it('sends a batch member left behind on its own, from its own file, after a restart', async () => {
    const beta = await sink();
    const down = await sink();
    const downPort = down.port;
    await down.close();
    const dir = path.join(tmp, 'batch-split');
    const first = setup(dir, {
      'pec.beta.test': { host: '127.0.0.1', port: beta.port },
      'pec.gamma.test': { host: '127.0.0.1', port: downPort },
    });
    await first.spool.start();
    const big = Buffer.from(`${'g'.repeat(78)}\r\n`.repeat(2500)); // beyond the first read of a spool file
    const [, late] = await first.spool.enqueueAll([
      {
        envelope: { from: 'alice@pec.alfa.test', to: ['bob@pec.beta.test'] },
        data: Buffer.from('to beta\r\n'),
      },
      {
        envelope: { from: 'alice@pec.alfa.test', to: ['carl@pec.gamma.test'] },
        data: [big, Buffer.from('end')],
      },
    ]);
    while (!first.outcomes.some((o) => o.type === 'deferred')) await new Promise((r) => setTimeout(r, 20));
    await first.spool.stop();
    assert.equal(beta.messages[0].raw.toString(), 'to beta\r\n');
    assert.deepEqual(queued(dir), [`${late.id}.msg`]);
    assert.equal(statSync(path.join(dir, `${late.id}.msg`)).nlink, 1, 'rewritten alone on deferral');

    const gamma = await sink();
    const second = setup(dir, { 'pec.gamma.test': { host: '127.0.0.1', port: gamma.port } });
    await second.spool.start();
    await gamma.waitFor(1);
    await second.spool.idle();
    assert.deepEqual(gamma.messages[0].raw, Buffer.concat([big, Buffer.from('end\r\n')]));
    assert.deepEqual(queued(dir), []);
  });

  it("writes new entries over delivered entries' files, never over a file another entry still uses, and drops spares on restart", async () => {
    const beta = await sink();
    const dir = path.join(tmp, 'spares');
    const routes = { 'pec.beta.test': { host: '127.0.0.1', port: beta.port } };
    const first = setup(dir, routes);
    await first.spool.start();
    const message = (subject: string) => ({
      envelope: { from: 'alice@pec.alfa.test', to: ['bob@pec.beta.test'] },
      data: Buffer.from(`Subject: ${subject}\r\n\r\n${subject.repeat(50)}\r\n`),
    });
    const inode = (id: string) => statSync(path.join(dir, `${id}.msg`)).ino;

    // A delivered entry's file becomes a spare; the next entry is written over it, whole.
    const [one] = await first.spool.enqueueAll([message('one')], { hold: true });
    const oneInode = inode(one.id);
    first.spool.release([one.id]);
    await beta.waitFor(1);
    await first.spool.idle();
    assert.equal(spares(dir).length, 1);
    const [two] = await first.spool.enqueueAll([message('2')], { hold: true });
    assert.equal(inode(two.id), oneInode, 'written over the spare');
    assert.deepEqual(spares(dir), []);
    first.spool.release([two.id]);
    await beta.waitFor(2);
    await first.spool.idle();
    assert.equal(
      beta.messages[1].raw.toString(),
      `Subject: 2\r\n\r\n${'2'.repeat(50)}\r\n`,
      'no byte of the longer entry before it',
    );

    // A batch shares one file: it becomes a spare only when its last member is delivered.
    const [a, b] = await first.spool.enqueueAll([message('a'), message('b')], { hold: true });
    const batchInode = inode(a.id);
    assert.equal(inode(b.id), batchInode);
    first.spool.release([a.id]);
    await beta.waitFor(3);
    // b is still held, so the spool is not idle: wait for a's name to go
    while (queued(dir).includes(`${a.id}.msg`)) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(spares(dir), [], "a member's name went, the file stays with the other");
    const [c] = await first.spool.enqueueAll([message('c')], { hold: true });
    assert.notEqual(inode(c.id), batchInode);
    first.spool.release([b.id, c.id]);
    await beta.waitFor(5);
    await first.spool.idle();
    assert.deepEqual(
      beta.messages
        .slice(2)
        .map((m) => m.raw.toString().split('\r\n')[0])
        .sort(),
      ['Subject: a', 'Subject: b', 'Subject: c'],
    );
    assert.equal(spares(dir).length, 2);

    // Spares are nobody's entries: a restart removes them and sends nothing. Nor does a spare
    // caught by a crash under a batch's `.group` name, before the batch was written over it: its
    // old header names entries that left long ago.
    await first.spool.stop();
    const [oneSpare] = spares(dir);
    renameSync(path.join(dir, oneSpare), path.join(dir, 'crashed-batch.group'));
    const second = setup(dir, routes);
    await second.spool.start();
    await second.spool.idle();
    assert.deepEqual(readdirSync(dir), []);
    assert.equal(beta.messages.length, 5);
  });

  it('a spare file gone from under the spool: the next entry creates its file instead', async () => {
    const beta = await sink();
    const dir = path.join(tmp, 'spare-gone');
    const routes = { 'pec.beta.test': { host: '127.0.0.1', port: beta.port } };
    const { spool } = setup(dir, routes);
    await spool.start();
    const message = (subject: string) => ({
      envelope: { from: 'alice@pec.alfa.test', to: ['bob@pec.beta.test'] },
      data: Buffer.from(`Subject: ${subject}\r\n\r\n${subject}\r\n`),
    });
    await spool.enqueue(message('first').envelope, message('first').data);
    await beta.waitFor(1);
    await spool.idle();
    for (const name of spares(dir)) unlinkSync(path.join(dir, name));
    const [next] = await spool.enqueueAll([message('next')], { hold: true });
    assert.deepEqual(queued(dir), [`${next.id}.msg`]);
    spool.release([next.id]);
    await beta.waitFor(2);
    await spool.idle();
    assert.equal(beta.messages[1].raw.toString(), 'Subject: next\r\n\r\nnext\r\n');
    await spool.stop();
  });

  it('delivers what the previous layout (envelope + data file per entry) left queued', async () => {
    const beta = await sink();
    const dir = path.join(tmp, 'legacy');
    mkdirSync(dir);
    const now = new Date().toISOString();
    const envelope = (id: string, extra: object = {}) => ({
      id,
      from: 'alice@pec.alfa.test',
      to: ['bob@pec.beta.test'],
      attempts: 1,
      createdAt: now,
      nextAttemptAt: now,
      ...extra,
    });
    const file = (name: string, content: string | object) =>
      writeFileSync(path.join(dir, name), typeof content === 'string' ? content : JSON.stringify(content));
    file('queued.json', envelope('queued'));
    file('queued.eml', 'Subject: queued\r\n\r\n');
    // a batch committed before the crash: its envelopes listed in the .batch file only
    file('b1.batch', [envelope('b1'), envelope('b2')]);
    file('b1.eml', 'Subject: b1\r\n\r\n');
    file('b2.eml', 'Subject: b2\r\n\r\n');
    // a keyed entry sent just before the crash (tombstone written, envelope still there)
    file('k-sent.json', envelope('k-sent', { keyed: true }));
    file('k-sent.eml', 'Subject: already sent\r\n\r\n');
    file('k-sent.sent', '');
    file('orphan.eml', 'never acknowledged');
    file('half.json.tmp', '{');
    const { spool } = setup(dir, { 'pec.beta.test': { host: '127.0.0.1', port: beta.port } });
    await spool.start();
    await beta.waitFor(3);
    await spool.idle();
    assert.deepEqual(beta.messages.map((m) => m.raw.toString()).sort(), [
      'Subject: b1\r\n\r\n',
      'Subject: b2\r\n\r\n',
      'Subject: queued\r\n\r\n',
    ]);
    assert.deepEqual(queued(dir), ['k-sent.sent']);
  });
});

/**
 * Scale-out (issue #6): two MTA processes per provider on one database and one Maildir root.
 * A's node 1 relays to B's node 1 and node 2 to node 2; receipts come back the same way. Each
 * message must still get exactly one accettazione, one presa in carico and one consegna per
 * recipient, with the log agreeing; then both of A's nodes run the timers on the same rows and each
 * timeout notice is sent exactly once.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import nodemailer from 'nodemailer';
import { readMaildir, waitFor } from './testing/observe';
import {
  startPecNetwork,
  type PecNetwork,
  type RunningNode,
  type RunningProvider,
} from './testing/pec-network';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'pec-scale-out-'));
const password = 'Segreta-123';
const perNode = 20;
let net: PecNetwork;
let A: RunningProvider;
let B: RunningProvider;

before(async () => {
  net = await startPecNetwork({
    dir: tmp,
    echo: process.env.PEC_TEST_ECHO === '1',
    providers: [
      {
        key: 'A',
        name: 'Alfa PEC S.p.A.',
        domain: 'pec.alfa.test',
        nodes: 2,
        mailboxes: [{ address: 'alice@pec.alfa.test', password }],
      },
      {
        key: 'B',
        name: 'Beta PEC S.r.l.',
        domain: 'pec.beta.test',
        nodes: 2,
        mailboxes: [
          { address: 'bob@pec.beta.test', password },
          { address: 'carol@pec.beta.test', password },
        ],
      },
      // In the index, but its MTA is stopped below: nothing sent to it is ever taken in charge.
      {
        key: 'C',
        name: 'Gamma PEC S.r.l.',
        domain: 'pec.gamma.test',
        mailboxes: [{ address: 'dan@pec.gamma.test', password }],
      },
    ],
  });
  A = net.providers.A;
  B = net.providers.B;
  await net.providers.C.haraka.stop();
});

after(async () => {
  await net?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

async function burst(
  node: RunningNode,
  label: string,
  count: number,
  to: string,
  cc?: string,
): Promise<void> {
  const transport = nodemailer.createTransport({
    pool: true,
    maxConnections: 5,
    host: '127.0.0.1',
    port: node.submissionTlsPort,
    secure: true,
    tls: { rejectUnauthorized: false },
    auth: { user: 'alice@pec.alfa.test', pass: password },
  });
  try {
    await Promise.all(
      Array.from({ length: count }, (_, i) =>
        transport.sendMail({
          from: 'alice@pec.alfa.test',
          to,
          cc,
          subject: `${label}-${i}.`,
          text: `n. ${i}`,
        }),
      ),
    );
  } finally {
    transport.close();
  }
}

/** How many messages of `kind` alice holds per subject matching `pattern`. */
function perSubject(kind: string, pattern: RegExp, address = 'alice@pec.alfa.test'): Map<string, number> {
  const counts = new Map<string, number>();
  for (const m of readMaildir(A.maildirRoot, address)) {
    const s = pattern.exec(m.r.subject ?? '')?.[0];
    if (m.r.kind === kind && s) counts.set(s, (counts.get(s) ?? 0) + 1);
  }
  return counts;
}

describe('two MTA processes per provider on one database', () => {
  it('every message gets exactly one receipt per event, whichever node handled it', async () => {
    await Promise.all([
      burst(A.nodes[0], 'Nodo1', perNode, 'bob@pec.beta.test', 'carol@pec.beta.test'),
      burst(A.nodes[1], 'Nodo2', perNode, 'bob@pec.beta.test', 'carol@pec.beta.test'),
    ]);
    const total = 2 * perNode;
    const subjects = /Nodo[12]-\d+\./;
    // Two consegne per message: bob's (completa, To) and carol's (sintetica, Cc).
    await waitFor(
      `${2 * total} consegne`,
      () => [...perSubject('avvenuta-consegna', subjects).values()].reduce((a, b) => a + b, 0) >= 2 * total,
      180_000,
    );
    await waitFor(
      'every presa in carico',
      () => perSubject('presa-in-carico', subjects, 'posta-certificata@pec.alfa.test').size >= total,
      60_000,
    );
    await new Promise((r) => setTimeout(r, 2000)); // a duplicate still on its way would arrive now

    const accettazioni = perSubject('accettazione', subjects);
    const consegne = perSubject('avvenuta-consegna', subjects);
    const prese = perSubject('presa-in-carico', subjects, 'posta-certificata@pec.alfa.test');
    assert.equal(accettazioni.size, total);
    assert.deepEqual([...new Set(accettazioni.values())], [1], 'one accettazione per message');
    assert.equal(consegne.size, total);
    assert.deepEqual([...new Set(consegne.values())], [2], 'one consegna per recipient');
    assert.equal(prese.size, total);
    assert.deepEqual([...new Set(prese.values())], [1], 'one presa in carico per message');
    for (const who of ['bob@pec.beta.test', 'carol@pec.beta.test']) {
      const stored = readMaildir(B.maildirRoot, who).filter((m) => subjects.test(m.r.subject ?? ''));
      assert.equal(stored.length, total, `one busta per message in ${who}’s Maildir`);
    }

    // Both nodes did part of the work, and the shared state and log agree with the mailboxes.
    const byNode = await Promise.all(
      B.nodes.map(async (n) => {
        const text = await (await fetch(`http://127.0.0.1:${n.statusPort}/metrics`)).text();
        return Number(/^pec_mta_messages_delivered_total (\d+)/m.exec(text)?.[1] ?? 0);
      }),
    );
    assert.ok(
      byNode.every((n) => n > 0),
      `both B nodes delivered bustas (${byNode.join(', ')})`,
    );
    const recipientsAtA = await A.db.prisma.pecRecipient.groupBy({
      by: ['state'],
      _count: true,
      where: { message: { subject: { startsWith: 'Nodo' } } },
    });
    assert.deepEqual(
      recipientsAtA.map((g) => [g.state, g._count]),
      [['DELIVERED', 2 * total]],
    );
    assert.equal(
      await A.db.prisma.pecMessage.count({ where: { subject: { startsWith: 'Nodo' }, state: 'COMPLETED' } }),
      total,
    );
    const logA = await A.db.prisma.transmissionLog.groupBy({
      by: ['eventType'],
      _count: true,
      where: {
        eventType: { in: ['ACCETTAZIONE', 'AVVENUTA_CONSEGNA_RECEIVED', 'PRESA_IN_CARICO_RECEIVED'] },
      },
    });
    assert.deepEqual(Object.fromEntries(logA.map((g) => [g.eventType, g._count])), {
      ACCETTAZIONE: total,
      AVVENUTA_CONSEGNA_RECEIVED: 2 * total,
      // the presa goes to A's service mailbox, one per busta
      PRESA_IN_CARICO_RECEIVED: total,
    });
    const logB = await B.db.prisma.transmissionLog.groupBy({
      by: ['eventType'],
      _count: true,
      where: { eventType: { in: ['RECEIVED', 'PRESA_IN_CARICO_SENT', 'AVVENUTA_CONSEGNA_SENT'] } },
    });
    assert.deepEqual(Object.fromEntries(logB.map((g) => [g.eventType, g._count])), {
      RECEIVED: 2 * total,
      PRESA_IN_CARICO_SENT: total,
      AVVENUTA_CONSEGNA_SENT: 2 * total,
    });
  });

  it('both nodes run the timers on the same rows: each timeout notice is sent once', async () => {
    // Short timers from now on: restart both of A's nodes with them (everything above is settled).
    for (const node of A.nodes) {
      Object.assign(node.env, { PEC_PREAVVISO_SECONDS: '2', PEC_MANCATA_CONSEGNA_SECONDS: '4' });
      await node.haraka.stop();
      await node.restart();
    }
    await Promise.all([
      burst(A.nodes[0], 'Gamma1', 3, 'dan@pec.gamma.test'),
      burst(A.nodes[1], 'Gamma2', 3, 'dan@pec.gamma.test'),
    ]);
    const subjects = /Gamma[12]-\d+\./;
    // The 12 h and the 24 h notice share subject and X-Ricevuta (spec §5.1); the log tells them apart.
    const logged = async () => {
      const rows = await A.db.prisma.transmissionLog.groupBy({
        by: ['eventType'],
        _count: true,
        where: { eventType: { in: ['PREAVVISO_SENT', 'TIMEOUT_SENT'] } },
      });
      return Object.fromEntries(rows.map((g) => [g.eventType, g._count])) as Record<
        string,
        number | undefined
      >;
    };
    await waitFor('six 24 h notices in the log', async () => (await logged()).TIMEOUT_SENT === 6, 60_000);
    const expected = async () => {
      const c = await logged();
      return (c.PREAVVISO_SENT ?? 0) + (c.TIMEOUT_SENT ?? 0);
    };
    const total = await expected();
    await waitFor(
      `${total} notices in alice’s Maildir`,
      () =>
        [...perSubject('preavviso-errore-consegna', subjects).values()].reduce((a, b) => a + b, 0) >= total,
      30_000,
    );
    await new Promise((r) => setTimeout(r, 2000)); // both nodes tick many times more: nothing new may come
    const notices = perSubject('preavviso-errore-consegna', subjects);
    assert.equal(notices.size, 6);
    assert.ok(
      [...notices.values()].every((n) => n === 1 || n === 2),
      `at most a preavviso and a final notice per message: ${JSON.stringify([...notices])}`,
    );
    assert.equal(
      [...notices.values()].reduce((a, b) => a + b, 0),
      total,
      'alice holds exactly what the log says was sent',
    );
    assert.equal(await expected(), total, 'no notice sent twice by the two nodes');
    const rows = await A.db.prisma.pecRecipient.findMany({
      where: { recipient: 'dan@pec.gamma.test' },
      select: { state: true, mancataConsegnaSentAt: true },
    });
    assert.equal(rows.length, 6);
    assert.ok(rows.every((r) => r.state === 'FAILED' && r.mancataConsegnaSentAt !== null));
  });
});

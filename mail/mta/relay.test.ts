import assert from 'node:assert/strict';
import net from 'node:net';
import { after, describe, it } from 'node:test';
import { RelayError, SmtpRelay } from './relay';
import { NoRouteError, Router } from './routing';
import { startSmtpSink, type SmtpSink } from './testing/smtp-sink';

const sinks: SmtpSink[] = [];
const relays: SmtpRelay[] = [];
after(async () => {
  await Promise.all(relays.map((r) => r.close()));
  await Promise.all(sinks.map((s) => s.close()));
});

async function sink(options: Parameters<typeof startSmtpSink>[0] = {}): Promise<SmtpSink> {
  const s = await startSmtpSink(options);
  sinks.push(s);
  return s;
}
function relay(options: Partial<ConstructorParameters<typeof SmtpRelay>[0]> = {}): SmtpRelay {
  const r = new SmtpRelay({ heloName: 'mta.pec.alfa.test', tls: { rejectUnauthorized: false }, ...options });
  relays.push(r);
  return r;
}
function message(i: number): string {
  return `From: alice@pec.alfa.test\r\nTo: bob@pec.beta.test\r\nSubject: n${i}\r\nMessage-ID: <m${i}@pec.alfa.test>\r\n\r\nbody ${i}\r\n`;
}
/** A loopback port with nothing listening. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

describe('SMTP relay client', () => {
  it('delivers over STARTTLS, byte for byte, reusing at most maxConnectionsPerTarget connections', async () => {
    const s = await sink();
    const r = relay({ maxConnectionsPerTarget: 4 });
    const target = { host: '127.0.0.1', port: s.port };
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        r.send(
          target,
          { from: 'alice@pec.alfa.test', to: ['bob@pec.beta.test', 'carol@pec.beta.test'] },
          message(i),
        ),
      ),
    );
    assert.equal(s.messages.length, 40);
    assert.ok(s.connections() <= 4, `opened ${s.connections()} connections`);
    assert.ok(s.messages.every((m) => m.secure));
    for (const res of results) assert.deepEqual(res.accepted, ['bob@pec.beta.test', 'carol@pec.beta.test']);
    const got = s.messages.find((m) => m.raw.includes('Subject: n7\r\n'));
    assert.equal(got?.raw.toString(), message(7));
    assert.deepEqual(got?.to, ['bob@pec.beta.test', 'carol@pec.beta.test']);
    assert.equal(got?.from, 'alice@pec.alfa.test');
  });

  it('reports per-recipient refusals, and a permanent RelayError when every recipient is refused', async () => {
    const s = await sink({ rejectRecipients: ['zed@pec.beta.test'] });
    const r = relay();
    const target = { host: '127.0.0.1', port: s.port };
    const res = await r.send(
      target,
      { from: 'alice@pec.alfa.test', to: ['bob@pec.beta.test', 'zed@pec.beta.test'] },
      message(1),
    );
    assert.deepEqual(res.accepted, ['bob@pec.beta.test']);
    assert.equal(res.rejected.length, 1);
    assert.equal(res.rejected[0].address, 'zed@pec.beta.test');
    assert.equal(res.rejected[0].code, 550);
    await assert.rejects(
      r.send(target, { from: 'alice@pec.alfa.test', to: ['zed@pec.beta.test'] }, message(2)),
      (err: unknown) =>
        err instanceof RelayError && err.permanent && err.code === 550 && err.rejected[0]?.code === 550,
    );
    // The pool still works after a failed transaction.
    await r.send(target, { from: 'alice@pec.alfa.test', to: ['bob@pec.beta.test'] }, message(3));
    assert.equal(s.messages.length, 2);
  });

  it('retries on a fresh connection when the peer dropped the idle one', async () => {
    const s = await sink({ socketTimeoutMs: 150 });
    const r = relay();
    const target = { host: '127.0.0.1', port: s.port };
    await r.send(target, { from: 'alice@pec.alfa.test', to: ['bob@pec.beta.test'] }, message(1));
    await new Promise((resolve) => setTimeout(resolve, 400));
    await r.send(target, { from: 'alice@pec.alfa.test', to: ['bob@pec.beta.test'] }, message(2));
    assert.equal(s.messages.length, 2);
    assert.equal(s.connections(), 2);
  });

  it('moves to the next target when one is unreachable, and refuses plain text when TLS is required', async () => {
    const plain = await sink({ startTls: false });
    const r = relay();
    const res = await r.send(
      [
        { host: '127.0.0.1', port: await closedPort() },
        { host: '127.0.0.1', port: plain.port },
      ],
      { from: 'a@pec.alfa.test', to: ['b@example.test'] },
      message(1),
    );
    assert.equal(res.target.port, plain.port);
    assert.equal(plain.messages[0].secure, false);
    const strict = relay({ requireTls: true });
    await assert.rejects(
      strict.send(
        { host: '127.0.0.1', port: plain.port },
        { from: 'a@pec.alfa.test', to: ['b@example.test'] },
        message(2),
      ),
      RelayError,
    );
    assert.equal(plain.messages.length, 1);
  });
});

describe('Router', () => {
  const resolveMx = async (domain: string) => {
    if (domain === 'pec.beta.test')
      return [
        { exchange: 'mx2.beta.test', priority: 20 },
        { exchange: 'mx1.beta.test.', priority: 10 },
      ];
    if (domain === 'nomx.test') throw Object.assign(new Error('no data'), { code: 'ENODATA' });
    if (domain === 'null.test') return [{ exchange: '', priority: 0 }];
    throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
  };
  const router = new Router({
    staticRoutes: {
      'Static.test': { host: '127.0.0.1', port: 2600 },
      'pec.alfa.test': { host: '127.0.0.1', port: 2601 },
    },
    ownDomains: ['pec.alfa.test'],
    ownInbound: { host: '127.0.0.1', port: 2525 },
    isCertifiedDomain: (d) => d === 'pec.beta.test' || d === 'static.test',
    resolveMx,
  });

  it('prefers our own reception point (even over a static route), then the static table, then MX by priority', async () => {
    assert.deepEqual(await router.route('x@STATIC.test'), {
      domain: 'static.test',
      certified: true,
      targets: [{ host: '127.0.0.1', port: 2600 }],
      source: 'static',
    });
    const own = await router.route('alice@pec.alfa.test');
    assert.equal(own.source, 'own-domain');
    assert.equal(own.certified, true);
    assert.deepEqual(own.targets, [{ host: '127.0.0.1', port: 2525 }]);
    const beta = await router.route('bob@pec.beta.test');
    assert.equal(beta.certified, true);
    assert.deepEqual(beta.targets, [
      { host: 'mx1.beta.test', port: 25 },
      { host: 'mx2.beta.test', port: 25 },
    ]);
  });

  it('falls back to the domain itself without MX, and refuses null-MX and unknown domains', async () => {
    const r = await router.route('someone@nomx.test');
    assert.equal(r.source, 'implicit-mx');
    assert.equal(r.certified, false);
    assert.deepEqual(r.targets, [{ host: 'nomx.test', port: 25 }]);
    await assert.rejects(router.route('a@null.test'), NoRouteError);
    await assert.rejects(router.route('a@missing.test'), NoRouteError);
  });
});

import assert from 'node:assert/strict';
import net from 'node:net';
import { after, describe, test } from 'node:test';
import { buildHealthReport, checkDatabase, connectableHost, probeSmtpBanner } from './health';

/** A real TCP server on a free loopback port that runs `onConnection` for each client. */
async function listen(
  onConnection: (socket: net.Socket) => void,
): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    onConnection(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A port nothing listens on: bind, read the number, close. */
async function closedPort(): Promise<number> {
  const s = await listen(() => {});
  await s.close();
  return s.port;
}

describe('probeSmtpBanner', () => {
  const servers: { close: () => Promise<void> }[] = [];
  after(() => Promise.all(servers.map((s) => s.close())));

  test('reads a multi-line 220 greeting and says QUIT', async () => {
    let received = '';
    let quitSeen!: () => void;
    const quit = new Promise<void>((resolve) => (quitSeen = resolve));
    const s = await listen((socket) => {
      socket.write('220-mx.pec.example.it ESMTP\r\n220 ready\r\n');
      socket.on('data', (d) => {
        received += d.toString();
        if (received.includes('\r\n')) {
          socket.end('221 bye\r\n');
          quitSeen();
        }
      });
    });
    servers.push(s);
    const r = await probeSmtpBanner('127.0.0.1', s.port);
    assert.deepEqual(r, {
      host: '127.0.0.1',
      port: s.port,
      ok: true,
      banner: 'mx.pec.example.it ESMTP ready',
    });
    await quit;
    assert.equal(received, 'QUIT\r\n');
  });

  test('a greeting split across TCP packets is reassembled', async () => {
    const s = await listen((socket) => {
      socket.write('22');
      setTimeout(() => socket.write('0 slow server\r\n'), 30);
    });
    servers.push(s);
    const r = await probeSmtpBanner('127.0.0.1', s.port);
    assert.deepEqual(r, { host: '127.0.0.1', port: s.port, ok: true, banner: 'slow server' });
  });

  test('a 554 greeting is not healthy', async () => {
    const s = await listen((socket) => socket.end('554 no service\r\n'));
    servers.push(s);
    const r = await probeSmtpBanner('127.0.0.1', s.port);
    assert.equal(r.ok, false);
    assert.equal(r.banner, 'no service');
    assert.match(r.error ?? '', /554/);
  });

  test('a closed port is reported, not thrown', async () => {
    const port = await closedPort();
    const r = await probeSmtpBanner('127.0.0.1', port);
    assert.equal(r.ok, false);
    assert.match(r.error ?? '', /ECONNREFUSED/);
  });

  test('a server that never greets times out', async () => {
    const s = await listen(() => {});
    servers.push(s);
    const started = Date.now();
    const r = await probeSmtpBanner('127.0.0.1', s.port, 300);
    assert.equal(r.ok, false);
    assert.match(r.error ?? '', /no SMTP greeting within 300 ms/);
    assert.ok(Date.now() - started < 2000);
  });

  test('wildcard listen addresses are probed on loopback', () => {
    assert.equal(connectableHost('0.0.0.0'), '127.0.0.1');
    assert.equal(connectableHost('::'), '::1');
    assert.equal(connectableHost('mx.example.it'), 'mx.example.it');
  });
});

describe('checkDatabase', () => {
  test('measures a successful ping', async () => {
    const r = await checkDatabase(() => new Promise((resolve) => setTimeout(resolve, 25)));
    assert.equal(r.ok, true);
    assert.ok(r.latencyMs >= 20, `latency ${r.latencyMs}`);
  });

  test('keeps the last line of a multi-line error', async () => {
    const r = await checkDatabase(async () => {
      throw new Error(
        "Invalid `prisma.$queryRaw()` invocation:\n\n\nCan't reach database server at 127.0.0.1:1",
      );
    });
    assert.equal(r.ok, false);
    assert.equal(r.error, "Can't reach database server at 127.0.0.1:1");
  });

  test('a hanging database times out', async () => {
    const r = await checkDatabase(() => new Promise(() => {}), 100);
    assert.equal(r.ok, false);
    assert.match(r.error ?? '', /no answer within 100 ms/);
  });
});

describe('buildHealthReport', () => {
  test('ok only when database and MTA are both ok', async () => {
    const s = await listen((socket) => socket.write('220 mx ESMTP\r\n'));
    try {
      const good = await buildHealthReport({
        pingDatabase: async () => 1,
        mtaInbound: { host: '127.0.0.1', port: s.port },
      });
      assert.equal(good.status, 'ok');
      assert.equal(good.mta.ok, true);
      assert.equal(good.mta.inbound.banner, 'mx ESMTP');
      assert.ok(!Number.isNaN(Date.parse(good.time)));

      const noDb = await buildHealthReport({
        pingDatabase: () => Promise.reject(new Error('down')),
        mtaInbound: { host: '127.0.0.1', port: s.port },
      });
      assert.equal(noDb.status, 'degraded');
      assert.deepEqual({ ok: noDb.database.ok, error: noDb.database.error }, { ok: false, error: 'down' });
    } finally {
      await s.close();
    }
    const port = await closedPort();
    const noMta = await buildHealthReport({
      pingDatabase: async () => 1,
      mtaInbound: { host: '127.0.0.1', port },
    });
    assert.equal(noMta.status, 'degraded');
    assert.equal(noMta.mta.ok, false);
    assert.match(noMta.mta.error ?? '', /^inbound: .*ECONNREFUSED/);
  });
});

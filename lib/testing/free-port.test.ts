import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { test } from 'node:test';
import { findFreePort, isPortOpen, testPortRange } from './free-port';

test('free ports come from below the ephemeral range, are never repeated, and can be bound', async () => {
  const { from, to } = testPortRange();
  const ports = await Promise.all(Array.from({ length: 40 }, () => findFreePort()));
  assert.equal(new Set(ports).size, ports.length, 'no port handed out twice');
  if (process.platform === 'linux') {
    const [ephemeralStart] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    assert.ok(to < ephemeralStart && from > 1024, `range ${from}-${to} below ${ephemeralStart}`);
    for (const p of ports) assert.ok(p >= from && p <= to, `${p} in ${from}-${to}`);
  }
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(ports[0], '127.0.0.1', resolve);
  });
  try {
    assert.equal(await isPortOpen(ports[0]), true);
  } finally {
    await new Promise((r) => server.close(r));
  }
  assert.equal(await isPortOpen(ports[0]), false);
});

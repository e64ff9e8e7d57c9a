/**
 * Ports for the servers a test or bench starts, picked before the server binds them.
 *
 * Asking the kernel (listen on port 0) hands out a port from its ephemeral range, the range it also
 * takes the local port of every outgoing connection from: in the moment between our close and the
 * server's bind, a client connection (to PostgreSQL, to an SMTP peer) could take it, and the server
 * failed with EADDRINUSE (seen in CI). So the ports come from just below that range, where outgoing
 * connections never land, chosen at random (parallel test processes rarely meet) and never handed
 * out twice by one process.
 */
import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import net from 'node:net';

const handedOut = new Set<number>();

/** Ports below the kernel's ephemeral range (Linux: 32768–60999 by default; elsewhere 49152 and up). */
export function testPortRange(): { from: number; to: number } {
  let ephemeralStart = 32_768;
  try {
    ephemeralStart = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
  } catch {
    // not Linux: the default of the others (49152) is above ours
  }
  if (!Number.isInteger(ephemeralStart) || ephemeralStart < 12_000) return { from: 0, to: 0 };
  return { from: Math.max(10_000, ephemeralStart - 12_000), to: ephemeralStart - 1 };
}

function canListen(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** A TCP port free on `host` right now, outside the ephemeral range, not handed out before here. */
export async function findFreePort(host = '127.0.0.1'): Promise<number> {
  const { from, to } = testPortRange();
  for (let attempt = 0; from > 0 && attempt < 100; attempt++) {
    const port = randomInt(from, to + 1);
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    if (await canListen(port, host)) return port;
  }
  // an unusual ephemeral range (or a crowded one): the kernel's choice, with its small race
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** True when something accepts TCP connections on host:port. */
export function isPortOpen(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

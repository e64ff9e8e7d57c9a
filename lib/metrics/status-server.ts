/**
 * The MTA's small HTTP endpoint on MTA_STATUS_PORT: GET /metrics (this process's counters, plus
 * the database-derived MTA state when a reader is given) and GET /health. Here the peer address
 * is the socket's own, so loopback is decided without trusting any header.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { metricsAccess } from './access';
import type { MtaCounters } from './mta-counters';
import { mtaStateMetrics } from './mta-metrics';
import type { MtaState } from './mta-state';
import { PrometheusText, prometheusContentType } from './prometheus';

export interface MtaStatusServerOptions {
  host: string;
  port: number;
  counters: MtaCounters;
  /** the shared-database figures; a failure leaves them out and is reported as pec_mta_state_up 0 */
  readState?: () => Promise<MtaState>;
  token?: string;
}

export interface MtaStatusServer {
  url: string;
  close(): Promise<void>;
}

async function metricsText(options: MtaStatusServerOptions): Promise<string> {
  const text = options.counters.write(new PrometheusText());
  if (options.readState) {
    try {
      const state = await options.readState();
      text.gauge('pec_mta_state_up', 'Whether the database-derived MTA state could be read.', 1);
      mtaStateMetrics(state, text);
    } catch {
      text.gauge('pec_mta_state_up', 'Whether the database-derived MTA state could be read.', 0);
    }
  }
  return text.toString();
}

export function startMtaStatusServer(options: MtaStatusServerOptions): Promise<MtaStatusServer> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' || (path !== '/metrics' && path !== '/health')) {
      res.writeHead(404).end();
      return;
    }
    if (path === '/health') {
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok\n');
      return;
    }
    const headers = {
      get: (name: string): string | null => {
        // the socket's address stands in for the forwarding chain; client headers are ignored
        if (name === 'x-forwarded-for') return req.socket.remoteAddress ?? null;
        if (name === 'authorization') return req.headers.authorization ?? null;
        return null;
      },
    };
    if (metricsAccess(headers, options.token) === 'denied') {
      res.writeHead(404).end();
      return;
    }
    metricsText(options).then(
      (body) => res.writeHead(200, { 'Content-Type': prometheusContentType, 'Cache-Control': 'no-store' }).end(body),
      () => res.writeHead(500).end(),
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      const { address, port } = server.address() as AddressInfo;
      resolve({
        url: `http://${address.includes(':') ? `[${address}]` : address}:${port}`,
        close: () => new Promise<void>((done) => server.close(() => done())),
      });
    });
  });
}

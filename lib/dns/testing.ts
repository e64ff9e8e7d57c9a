/**
 * A real DNS server for tests: UDP on 127.0.0.1 (free port), answering MX and TXT from a zone
 * the test edits while it runs (to publish, then break, records). Unknown names get NXDOMAIN.
 */
import dgram from 'node:dgram';
import * as dnsPacket from 'dns-packet';

export interface TestZoneEntry {
  mx?: { exchange: string; priority: number }[];
  /** each record: one string, or several character-strings (as long TXT records are published) */
  txt?: (string | string[])[];
}

export interface TestDnsServer {
  /** `127.0.0.1:<port>`, for Resolver.setServers / PEC_DNS_SERVERS */
  address: string;
  /** lower-case name → records; edit freely */
  zone: Map<string, TestZoneEntry>;
  /** questions received, for assertions that a lookup really happened */
  queries: { name: string; type: string }[];
  stop(): Promise<void>;
}

export async function startTestDnsServer(): Promise<TestDnsServer> {
  const zone = new Map<string, TestZoneEntry>();
  const queries: { name: string; type: string }[] = [];
  const socket = dgram.createSocket('udp4');
  socket.on('message', (message, remote) => {
    let query: dnsPacket.Packet;
    try {
      query = dnsPacket.decode(message);
    } catch {
      return;
    }
    const question = query.questions?.[0];
    if (!question) return;
    const name = question.name.toLowerCase().replace(/\.$/, '');
    queries.push({ name, type: question.type });
    const entry = zone.get(name);
    const answers: dnsPacket.Answer[] = [];
    if (entry && question.type === 'MX') {
      for (const mx of entry.mx ?? []) answers.push({ type: 'MX', name: question.name, ttl: 60, data: mx });
    }
    if (entry && question.type === 'TXT') {
      for (const text of entry.txt ?? []) answers.push({ type: 'TXT', name: question.name, ttl: 60, data: text });
    }
    const response = dnsPacket.encode({
      id: query.id,
      type: 'response',
      flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE | (entry ? 0 : 3), // rcode 3: NXDOMAIN
      questions: [question],
      answers,
    });
    socket.send(response, remote.port, remote.address);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => resolve());
  });
  const { port } = socket.address();
  return {
    address: `127.0.0.1:${port}`,
    zone,
    queries,
    stop: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

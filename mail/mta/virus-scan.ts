/**
 * Antivirus scan at the access and reception points (spec §4.1, §4.2): a small clamd client speaking
 * the INSTREAM command over TCP or a unix socket. Our own client rather than an npm one: the
 * protocol is a few lines (length-prefixed chunks, one NUL-terminated answer), and the maintained
 * libraries bring file and directory scanning we never use.
 *
 * A scanner that cannot answer throws VirusScanUnavailableError: the plugins turn any error into a
 * temporary failure (4xx), so the sender keeps the message and retries, and nothing unscanned is ever accepted.
 */
import net from 'node:net';

/** Where clamd listens: TCP (`TCPSocket`) or a unix socket (`LocalSocket`). */
export type ClamdAddress = { host: string; port: number } | { socketPath: string };

export type ScanVerdict = { infected: false } | { infected: true; virus: string };

export interface VirusScanner {
  /** The whole message, as the bytes that were received (MIME parts are decoded by the scanner). */
  scan(data: Buffer | readonly Buffer[]): Promise<ScanVerdict>;
}

/** clamd unreachable, too slow, or answering an error: the message must not be accepted now. */
export class VirusScanUnavailableError extends Error {
  constructor(message: string) {
    super(`virus scan unavailable: ${message}`);
    this.name = 'VirusScanUnavailableError';
  }
}

export interface ClamdScannerOptions {
  address: ClamdAddress;
  /** Whole exchange (connect, stream, answer); default 30 s. */
  timeoutMs?: number;
  /** Largest INSTREAM chunk; clamd's default StreamMaxLength still bounds the total. */
  chunkBytes?: number;
}

/** `host:port`, `tcp://host:port`, `unix:/path` or an absolute socket path. */
export function parseClamdAddress(value: string): ClamdAddress {
  const v = value.trim();
  if (v.startsWith('unix:')) return { socketPath: v.slice('unix:'.length) };
  if (v.startsWith('/')) return { socketPath: v };
  const m = /^(?:tcp:\/\/)?([A-Za-z0-9.-]+|\[[0-9a-fA-F:]+\]):(\d{1,5})$/.exec(v);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port < 1 || port > 65535) throw new Error(`not a clamd address: ${value} (host:port or unix:/path)`);
  return { host: m[1].replace(/^\[|\]$/g, ''), port };
}

export function describeClamdAddress(a: ClamdAddress): string {
  return 'socketPath' in a ? `unix:${a.socketPath}` : `${a.host}:${a.port}`;
}

export class ClamdScanner implements VirusScanner {
  private readonly timeoutMs: number;
  private readonly chunkBytes: number;

  constructor(private readonly options: ClamdScannerOptions) {
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.chunkBytes = options.chunkBytes ?? 256 * 1024;
  }

  /** True when clamd answers PONG. */
  async ping(): Promise<boolean> {
    try {
      return (await this.exchange((s) => s.write('zPING\0'))) === 'PONG';
    } catch {
      return false;
    }
  }

  async scan(data: Buffer | readonly Buffer[]): Promise<ScanVerdict> {
    const parts = Buffer.isBuffer(data) ? [data] : data;
    const answer = await this.exchange((s) => {
      s.write('zINSTREAM\0');
      for (const part of parts) {
        for (let at = 0; at < part.length; at += this.chunkBytes) {
          const chunk = part.subarray(at, at + this.chunkBytes);
          const size = Buffer.alloc(4);
          size.writeUInt32BE(chunk.length);
          s.write(size);
          s.write(chunk);
        }
      }
      s.write(Buffer.alloc(4)); // zero length: end of stream
    });
    // "stream: OK", "stream: <signature> FOUND", or "<reason> ERROR" (e.g. size limit exceeded).
    if (/:\s*OK$/.test(answer)) return { infected: false };
    const found = /^(?:stream:\s*)?(.+?)\s+FOUND$/.exec(answer);
    if (found) return { infected: true, virus: found[1] };
    throw new VirusScanUnavailableError(`clamd answered "${answer}"`);
  }

  /** One command on a fresh connection (z-commands: the answer ends with NUL). */
  private exchange(send: (socket: net.Socket) => void): Promise<string> {
    const where = describeClamdAddress(this.options.address);
    return new Promise((resolve, reject) => {
      const a = this.options.address;
      const socket = 'socketPath' in a ? net.createConnection({ path: a.socketPath }) : net.createConnection({ host: a.host, port: a.port });
      const received: Buffer[] = [];
      let settled = false;
      const finish = (err: Error | null, answer?: string) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.destroy();
        if (err) reject(err);
        else resolve(answer!);
      };
      const timer = setTimeout(() => finish(new VirusScanUnavailableError(`${where}: no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
      const answered = (): string | undefined => {
        const all = Buffer.concat(received);
        const end = all.indexOf(0);
        return end >= 0 ? all.subarray(0, end).toString('utf8').trim() : undefined;
      };
      socket.on('connect', () => send(socket));
      socket.on('data', (d: Buffer) => {
        received.push(d);
        const answer = answered();
        if (answer !== undefined) finish(null, answer);
      });
      // clamd may close early (size limit) after writing its answer: prefer the answer to the error.
      socket.on('error', (err) => {
        const answer = answered();
        finish(answer !== undefined ? null : new VirusScanUnavailableError(`${where}: ${err.message}`), answer);
      });
      socket.on('close', () => {
        const answer = answered() ?? Buffer.concat(received).toString('utf8').trim();
        finish(answer ? null : new VirusScanUnavailableError(`${where}: connection closed without an answer`), answer);
      });
    });
  }
}

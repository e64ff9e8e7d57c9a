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
  if (!m || port < 1 || port > 65535)
    throw new Error(`not a clamd address: ${value} (host:port or unix:/path)`);
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
      return (await this.exchange((write) => write(Buffer.from('zPING\0')))) === 'PONG';
    } catch {
      return false;
    }
  }

  async scan(data: Buffer | readonly Buffer[]): Promise<ScanVerdict> {
    const parts = Buffer.isBuffer(data) ? [data] : data;
    const answer = await this.exchange(async (write, answered) => {
      await write(Buffer.from('zINSTREAM\0'));
      for (const part of parts) {
        for (let at = 0; at < part.length; at += this.chunkBytes) {
          // clamd answers early and closes when the stream passes its StreamMaxLength: stop there,
          // a further write would fail with EPIPE and lose the answer.
          if (answered()) return;
          const chunk = part.subarray(at, at + this.chunkBytes);
          const size = Buffer.alloc(4);
          size.writeUInt32BE(chunk.length);
          await write(Buffer.concat([size, chunk]));
        }
      }
      if (!answered()) await write(Buffer.alloc(4)); // zero length: end of stream
    });
    // "stream: OK", "stream: <signature> FOUND", or "<reason> ERROR" (e.g. size limit exceeded).
    if (/:\s*OK$/.test(answer)) return { infected: false };
    const found = /^(?:stream:\s*)?(.+?)\s+FOUND$/.exec(answer);
    if (found) return { infected: true, virus: found[1] };
    throw new VirusScanUnavailableError(`clamd answered "${answer}"`);
  }

  /**
   * One command on a fresh connection (z-commands: the answer ends with NUL). `send` writes with
   * backpressure, one piece at a time, each after a turn of the event loop: an answer clamd sent
   * meanwhile is read before the next write, never lost to a write error on a socket clamd closed.
   */
  private exchange(
    send: (write: (piece: Buffer) => Promise<void>, answered: () => boolean) => Promise<void>,
  ): Promise<string> {
    const where = describeClamdAddress(this.options.address);
    return new Promise((resolve, reject) => {
      const a = this.options.address;
      const socket =
        'socketPath' in a
          ? net.createConnection({ path: a.socketPath })
          : net.createConnection({ host: a.host, port: a.port });
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
      const timer = setTimeout(
        () => finish(new VirusScanUnavailableError(`${where}: no answer within ${this.timeoutMs} ms`)),
        this.timeoutMs,
      );
      const answerText = (): string | undefined => {
        const all = Buffer.concat(received);
        const end = all.indexOf(0);
        return end >= 0 ? all.subarray(0, end).toString('utf8').trim() : undefined;
      };
      const write = (piece: Buffer) =>
        new Promise<void>((done, failed) => {
          // setImmediate runs after the poll phase, so data clamd already sent has been read.
          setImmediate(() => {
            if (settled || socket.destroyed) return done();
            socket.write(piece, (err) => (err ? failed(err) : done()));
          });
        });
      socket.on('connect', () => {
        send(write, () => settled || received.length > 0).catch(() => {
          // The socket's own 'error'/'close' handlers settle the exchange.
        });
      });
      socket.on('data', (d: Buffer) => {
        received.push(d);
        const answer = answerText();
        if (answer !== undefined) finish(null, answer);
      });
      // clamd may close early (size limit) after writing its answer: prefer the answer to the error.
      socket.on('error', (err: NodeJS.ErrnoException) => {
        const answer = answerText();
        if (answer !== undefined) return finish(null, answer);
        // A write that races clamd's close fails with EPIPE/ECONNRESET, and Node discards the socket
        // with the answer clamd may have sent unread in it: say what is known rather than "write EPIPE".
        const cutOff = (err.code === 'EPIPE' || err.code === 'ECONNRESET') && socket.bytesWritten > 0;
        const reason = cutOff
          ? `clamd closed the connection after ${socket.bytesWritten} bytes, before answering (stream over its StreamMaxLength?)`
          : err.message;
        finish(new VirusScanUnavailableError(`${where}: ${reason}`));
      });
      socket.on('close', () => {
        const answer = answerText() ?? Buffer.concat(received).toString('utf8').trim();
        finish(
          answer ? null : new VirusScanUnavailableError(`${where}: connection closed without an answer`),
          answer,
        );
      });
    });
  }
}

/**
 * A minimal line-by-line SMTP client for tests: send a command, get the complete (multi-line)
 * reply. Tests use it to talk to the real MTA without pulling in a mail library's retries/pooling.
 */
import net from 'node:net';
import tls from 'node:tls';

export interface SmtpReply {
  code: number;
  lines: string[];
}

export class SmtpDialogue {
  private buffered = '';
  /** Lines of a multi-line reply whose last line has not arrived yet. */
  private partial: string[] = [];
  private waiting: ((reply: SmtpReply) => void) | undefined;
  private readonly replies: SmtpReply[] = [];

  private constructor(private readonly socket: net.Socket) {
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => this.onData(chunk));
  }

  /** Connects and returns the dialogue together with the server greeting. */
  static open(host: string, port: number): Promise<{ smtp: SmtpDialogue; greeting: SmtpReply }> {
    return SmtpDialogue.greetedOver(net.connect({ host, port }), 'connect');
  }

  /** The same over implicit TLS (a 465-style submission port); the certificate is not checked. */
  static openTls(host: string, port: number): Promise<{ smtp: SmtpDialogue; greeting: SmtpReply }> {
    return SmtpDialogue.greetedOver(tls.connect({ host, port, rejectUnauthorized: false }), 'secureConnect');
  }

  /** Waits for `socket` to be ready (`ready` event), then for the server greeting. */
  private static async greetedOver(
    socket: net.Socket,
    ready: 'connect' | 'secureConnect',
  ): Promise<{ smtp: SmtpDialogue; greeting: SmtpReply }> {
    await new Promise<void>((resolve, reject) => {
      socket.once(ready, resolve);
      socket.once('error', reject);
    });
    const smtp = new SmtpDialogue(socket);
    return { smtp, greeting: await smtp.nextReply() };
  }

  private onData(chunk: string): void {
    this.buffered += chunk;
    const lines = this.buffered.split('\r\n');
    this.buffered = lines.pop() ?? '';
    for (const line of lines) {
      this.partial.push(line.slice(4));
      if (line[3] !== '-') {
        this.replies.push({ code: Number(line.slice(0, 3)), lines: this.partial });
        this.partial = [];
      }
    }
    this.deliver();
  }

  private deliver(): void {
    if (this.waiting && this.replies.length) {
      const resolve = this.waiting;
      this.waiting = undefined;
      resolve(this.replies.shift()!);
    }
  }

  nextReply(timeoutMs = 5000): Promise<SmtpReply> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no SMTP reply within ${timeoutMs} ms`)), timeoutMs);
      this.waiting = (reply) => {
        clearTimeout(timer);
        resolve(reply);
      };
      this.deliver();
    });
  }

  async command(line: string): Promise<SmtpReply> {
    this.socket.write(`${line}\r\n`);
    return this.nextReply();
  }

  close(): void {
    this.socket.destroy();
  }
}

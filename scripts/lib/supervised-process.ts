/**
 * A child process run by `npm start`: its output is relayed line by line with a `[name] ` prefix,
 * and it can be stopped politely (a chosen signal), then firmly (SIGKILL) after a grace period.
 * Children get their own process group so a terminal Ctrl-C reaches only the supervisor, which
 * then stops them in order; SIGKILL goes to the whole group so no grandchild survives.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import readline from 'node:readline';
import type { Readable, Writable } from 'node:stream';

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export function describeExit({ code, signal }: ExitStatus): string {
  return signal ? `killed by ${signal}` : `exit code ${code}`;
}

/** Copies each line of `input` to `output` with `prefix` in front; returns when input ends. */
export function relayLines(input: Readable, output: Writable, prefix: string): Promise<void> {
  const lines = readline.createInterface({ input, crlfDelay: Infinity });
  lines.on('line', (line) => output.write(`${prefix}${line}\n`));
  return new Promise((resolve) => lines.once('close', () => resolve()));
}

export class SupervisedProcess {
  readonly child: ChildProcess;
  /** Settles once the process has exited and its output has been fully relayed. */
  readonly exited: Promise<ExitStatus>;
  private status: ExitStatus | undefined;

  constructor(
    readonly name: string,
    command: string,
    args: string[],
    options: Omit<SpawnOptions, 'stdio' | 'detached'> = {},
    out: { stdout: Writable; stderr: Writable } = { stdout: process.stdout, stderr: process.stderr },
  ) {
    this.child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const prefix = `[${name}] `;
    const relayed = Promise.all([
      relayLines(this.child.stdout!, out.stdout, prefix),
      relayLines(this.child.stderr!, out.stderr, prefix),
    ]);
    const closed = new Promise<ExitStatus>((resolve) => {
      // 'error' covers a command that cannot be spawned at all; 'close' then may never come.
      this.child.once('error', (err) => {
        out.stderr.write(`${prefix}cannot run ${command}: ${err.message}\n`);
        resolve({ code: 127, signal: null });
      });
      this.child.once('exit', (code, signal) => resolve({ code, signal }));
    });
    this.exited = Promise.all([closed, relayed]).then(([status]) => {
      this.status = status;
      return status;
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.status === undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Sends `signal`, waits up to `graceMs`, then SIGKILLs the process group. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 10_000): Promise<ExitStatus> {
    if (this.running) this.signalGroup(signal);
    let timer: NodeJS.Timeout | undefined;
    const forced = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), graceMs);
    });
    const first = await Promise.race([this.exited, forced]);
    clearTimeout(timer);
    if (first !== 'timeout') {
      // The leader is gone; make sure nothing it started lingers in its group.
      this.signalGroup('SIGKILL');
      return first;
    }
    this.signalGroup('SIGKILL');
    return this.exited;
  }

  private signalGroup(signal: NodeJS.Signals): void {
    const pid = this.child.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, signal);
    } catch {
      // ESRCH: the group is already empty.
    }
  }
}

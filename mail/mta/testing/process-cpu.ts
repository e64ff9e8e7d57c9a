/**
 * CPU used by processes, from /proc, for the benches: what an MTA or a PostgreSQL server spends per
 * message, measured from outside the process.
 */
import { readdirSync, readFileSync } from 'node:fs';

/**
 * A process's name and, in seconds, its CPU from /proc/<pid>/stat: user, system (kernel: syscalls,
 * loopback TCP) and that of its exited children it reaped; plus its parent pid.
 */
function procStat(pid: number | string) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.replace(/^.*\) /, '').split(' ');
  const seconds = (i: number) => Number(f[i]) / 100; // clock ticks (USER_HZ = 100)
  return {
    name: /^\d+ \((.*)\) /.exec(stat)?.[1],
    ppid: Number(f[1]),
    user: seconds(11),
    system: seconds(12),
    reaped: seconds(13) + seconds(14),
  };
}

/** CPU seconds a process has used so far: user and system. */
export function cpuSeconds(pid: number | undefined): { user: number; system: number } {
  if (!pid) return { user: NaN, system: NaN };
  const { user, system } = procStat(pid);
  return { user, system };
}

/**
 * CPU seconds used so far by the PostgreSQL servers whose data folders are given: each postmaster
 * (found by its -D argument), its children (backends, background workers), and the exited
 * backends it reaped. Other servers on the machine (other tests) are not counted.
 */
export function postgresCpuSeconds(dataDirs: string[]): number {
  const stats = new Map<number, { ppid: number; own: number; reaped: number; cmdline: string }>();
  for (const pid of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      const stat = procStat(pid);
      if (stat.name !== 'postgres') continue;
      stats.set(Number(pid), {
        ppid: stat.ppid,
        own: stat.user + stat.system,
        reaped: stat.reaped,
        cmdline: readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' '),
      });
    } catch {
      // exited meanwhile
    }
  }
  let total = 0;
  for (const [pid, p] of stats) {
    if (!dataDirs.some((d) => p.cmdline.includes(d))) continue;
    total += p.own + p.reaped;
    for (const child of stats.values()) if (child.ppid === pid) total += child.own;
  }
  return total;
}

// CPU time of other processes, from /proc/<pid>/stat (user + system, all threads), for the
// per-process CPU of a load window: the gateway instances forked beside the measured one, and
// the PostgreSQL backends serving the benchmark's database. Linux only; elsewhere it reports
// nothing (undefined). Hand-written: two fields of one file, not worth a dependency.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

let ticksPerSecond: number | undefined;

function clockTicks(): number {
  ticksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  return ticksPerSecond;
}

/** CPU µs used so far by each process (those gone or unreadable are left out). */
export function processCpuMicros(pids: readonly number[]): Map<number, number> {
  const out = new Map<number, number>();
  if (process.platform !== 'linux') return out;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // Fields after the command name (which may hold spaces, so split after its ')').
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14, 15)
      out.set(pid, (ticks * 1_000_000) / clockTicks());
    } catch {
      // gone, or not ours to read
    }
  }
  return out;
}

/** µs of CPU each process used between two readings, summed over the processes in both. */
export function cpuBetween(before: Map<number, number>, after: Map<number, number>): number {
  let sum = 0;
  for (const [pid, micros] of after) {
    const was = before.get(pid);
    if (was !== undefined) sum += micros - was;
  }
  return sum;
}

/**
 * CPU seconds (user + system, all threads) a process has used, from /proc/<pid>/stat. The server's
 * engine runs in worker threads of the same process, so this counts inference and gRPC together.
 */
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

let ticksPerSecond: number | undefined;

function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100; // Linux USER_HZ is 100 on every mainstream architecture
    }
  }
  return ticksPerSecond;
}

/** Parses utime + stime (fields 14 and 15) of a /proc/<pid>/stat line into seconds. */
export function parseProcStatCpuSeconds(stat: string, ticks = 100): number {
  // The command name (field 2) is in parentheses and may contain spaces: split after the last ')'.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new Error('cannot read utime/stime from /proc stat');
  return (utime + stime) / ticks;
}

/** CPU seconds used so far by `pid`, or undefined when /proc is unavailable. */
export function processCpuSeconds(pid: number): number | undefined {
  try {
    return parseProcStatCpuSeconds(readFileSync(`/proc/${pid}/stat`, 'utf8'), clockTicks());
  } catch {
    return undefined;
  }
}

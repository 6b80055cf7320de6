// CPU time of another process (all its threads), from /proc: user + system, in µs. On a shared machine CPU per
// operation is steadier than throughput, which also follows what else runs. Linux only; null elsewhere.
import { readFileSync } from 'node:fs';

/** Linux USER_HZ: /proc/<pid>/stat counts CPU time in 1/100 s. */
const TICKS_PER_SEC = 100;
/** Fields 14 and 15 (1-based) of /proc/<pid>/stat are utime and stime; counted after the ")" that ends comm. */
const UTIME_AFTER_COMM = 11;

export function processCpuUs(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[UTIME_AFTER_COMM]) + Number(fields[UTIME_AFTER_COMM + 1]);
    return Number.isFinite(ticks) ? (ticks / TICKS_PER_SEC) * 1e6 : null;
  } catch {
    return null;
  }
}

/** CPU µs this process and `pids` spend in `fn`. */
export async function cpuDuring<T>(pids: readonly (number | undefined)[], fn: () => Promise<T>): Promise<{ value: T; selfUs: number; othersUs: (number | null)[] }> {
  const self0 = process.cpuUsage();
  const others0 = pids.map(processCpuUs);
  const value = await fn();
  const self = process.cpuUsage(self0);
  const othersUs = pids.map((p, i) => {
    const now = processCpuUs(p);
    const before = others0[i];
    return now === null || before === null || before === undefined ? null : now - before;
  });
  return { value, selfUs: self.user + self.system, othersUs };
}

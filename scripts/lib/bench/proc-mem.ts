// Resident memory of a process, read from /proc (Linux), in MB; null when the process is gone or /proc is absent.
import { readFileSync } from 'node:fs';

export function rssMb(pid: number | null | undefined): number | null {
  if (!pid) return null;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

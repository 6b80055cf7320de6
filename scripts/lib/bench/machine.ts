// The machine a benchmark ran on. The machine is shared and noisy: load averages at start and end say how much
// else was running, so runs can be compared by them.
import { availableParallelism, cpus, loadavg, platform, release, arch } from 'node:os';

export interface MachineInfo {
  cpus: number;
  model: string;
  node: string;
  platform: string;
  loadavgStart: number[];
  loadavgEnd: number[];
}

/** Call at the start; call `end()` on the result when the measurements are over. */
export function machineInfo(): MachineInfo & { end(): MachineInfo } {
  const info: MachineInfo = {
    cpus: availableParallelism(),
    model: cpus()[0]?.model.trim() ?? 'unknown',
    node: process.version,
    platform: `${platform()} ${release()} ${arch()}`,
    loadavgStart: roundedLoad(),
    loadavgEnd: [],
  };
  return {
    ...info,
    end: () => ({ ...info, loadavgEnd: roundedLoad() }),
  };
}

function roundedLoad(): number[] {
  return loadavg().map((x) => Math.round(x * 100) / 100);
}

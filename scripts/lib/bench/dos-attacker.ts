// The parent's side of the DoS benchmark's attacker process (dos-attacker-child.ts): start an attack, stop it and
// get its stats and the CPU it used.
import { fork, type ChildProcess } from 'node:child_process';
import { processCpuUs } from './proc-cpu.ts';
import type { AttackParams, AttackStats } from './dos-attacks.ts';

const CHILD = new URL('./dos-attacker-child.ts', import.meta.url).pathname;
/** Ours: how long the child may take to wind its identities down and report. */
const STOP_TIMEOUT_MS = 15_000;

export class Attacker {
  private readonly child: ChildProcess;
  private readonly report: Promise<AttackStats>;
  private readonly exited: Promise<void>;

  private constructor(child: ChildProcess) {
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    this.report = new Promise((resolve, reject) => {
      child.once('message', (m) => resolve((m as { stats: AttackStats }).stats));
      child.once('exit', (code, signal) => reject(new Error(`attacker exited (${code ?? signal}) without a report`)));
    });
    this.report.catch(() => {}); // observed in stop()
  }

  static start(params: AttackParams): Attacker {
    return new Attacker(fork(CHILD, [JSON.stringify(params)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** CPU µs the attacker process has used so far (null off Linux). */
  cpuUs(): number | null {
    return processCpuUs(this.child.pid);
  }

  /** Stops the attack; its stats. The process is killed if it does not report in time. */
  async stop(): Promise<AttackStats> {
    this.child.send('stop');
    const timeout = setTimeout(() => this.child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    try {
      return await this.report;
    } finally {
      clearTimeout(timeout);
      await this.exited;
    }
  }

  /** Kills the process at once (cleanup after a failure). */
  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

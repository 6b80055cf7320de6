// A RawPeer (raw-peer.ts) in a child process (raw-peer-child.ts), for fault tests: the peer can be SIGKILLed in the
// middle of a request, so its connections die the way a crashed validator's do (the kernel closes its sockets; no
// stream is closed politely). Driven over the Node IPC channel: each command is answered once, events come as they
// happen.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { TESTNET } from './raw-core.ts';

const CHILD = fileURLToPath(new URL('./raw-peer-child.ts', import.meta.url));
/** How long the child may take to start its libp2p node, and to carry out one command. */
const START_TIMEOUT_MS = 30_000;
const COMMAND_TIMEOUT_MS = 15_000;

export type ChildCommand =
  | { id: number; op: 'connect'; peerPort: number; peerId: string }
  | { id: number; op: 'hold-tx-set-requests' }
  | { id: number; op: 'publish-scp'; envelope: string };

export type ChildMessage =
  | { event: 'ready'; peerId: string }
  | { event: 'tx-set-request'; hash: string }
  | { id: number; ok: true }
  | { id: number; ok: false; error: string };

type Op = ChildCommand['op'];
type Args<O extends Op> = Omit<Extract<ChildCommand, { op: O }>, 'id' | 'op'>;

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of running) c.kill('SIGKILL');
});

export class RawPeerProcess {
  readonly peerId: string;
  /** Hashes (hex) of the tx sets asked of us, in order (after holdTxSetRequests). */
  readonly txSetRequests: string[] = [];
  private readonly proc: ChildProcess;
  private readonly exited: Promise<void>;
  private readonly pending = new Map<number, { resolve: () => void; reject: (err: Error) => void }>();
  private nextId = 1;

  private constructor(proc: ChildProcess, peerId: string, exited: Promise<void>) {
    this.proc = proc;
    this.peerId = peerId;
    this.exited = exited;
    proc.on('message', (m: ChildMessage) => {
      if ('event' in m) {
        if (m.event === 'tx-set-request') this.txSetRequests.push(m.hash);
        return;
      }
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (m.ok) p?.resolve();
      else p?.reject(new Error(`raw peer: ${m.error}`));
    });
    void exited.then(() => {
      for (const p of this.pending.values()) p.reject(new Error('raw peer process exited'));
      this.pending.clear();
    });
  }

  static async start(passphrase = TESTNET): Promise<RawPeerProcess> {
    const proc = fork(CHILD, [passphrase], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    // A test that fails before it kills the peer must not be kept alive by it: killAll() or our exit takes it down.
    proc.unref();
    proc.channel?.unref();
    running.add(proc);
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    void exited.then(() => running.delete(proc));
    let timer: NodeJS.Timeout | undefined;
    try {
      const peerId = await Promise.race([
        new Promise<string>((resolve) => {
          const onMessage = (m: ChildMessage) => {
            if ('event' in m && m.event === 'ready') {
              proc.off('message', onMessage);
              resolve(m.peerId);
            }
          };
          proc.on('message', onMessage);
        }),
        exited.then(() => Promise.reject(new Error('raw peer process exited before it was ready'))),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`raw peer process not ready after ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
        }),
      ]);
      return new RawPeerProcess(proc, peerId, exited);
    } catch (err) {
      proc.kill('SIGKILL');
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  /** SIGKILLs every raw peer process still running (for a test's after hook). */
  static async killAll(): Promise<void> {
    await Promise.all(
      [...running].filter((proc) => proc.exitCode === null && proc.signalCode === null).map((proc) => {
        const gone = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
        proc.kill('SIGKILL');
        return gone;
      }),
    );
  }

  /** Connects to an overlay over TCP and opens a tx-flood stream to it (RawPeer.connect). */
  connect(o: { peerPort: number; peerId: string }): Promise<void> {
    return this.command('connect', { peerPort: o.peerPort, peerId: o.peerId });
  }

  /** From now on, tx-set requests are recorded in txSetRequests and never answered. */
  holdTxSetRequests(): Promise<void> {
    return this.command('hold-tx-set-requests', {});
  }

  /** Publishes bytes on the SCP gossip topic once the connected overlay is reachable there (RawPeer.publishScp). */
  publishScp(envelope: Uint8Array): Promise<void> {
    return this.command('publish-scp', { envelope: Buffer.from(envelope).toString('base64') });
  }

  /** Sends `signal` (SIGKILL by default) and waits for the process to be gone. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill(signal);
    await this.exited;
  }

  private command<O extends Op>(op: O, args: Args<O>): Promise<void> {
    const id = this.nextId++;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`raw peer: ${op} not done after ${COMMAND_TIMEOUT_MS} ms`));
      }, COMMAND_TIMEOUT_MS);
      const done = { resolve: () => (clearTimeout(timer), resolve()), reject: (e: Error) => (clearTimeout(timer), reject(e)) };
      this.pending.set(id, done);
      this.proc.send({ id, op, ...args } as ChildCommand);
    });
  }
}

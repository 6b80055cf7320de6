// Helpers of the overlay IPC tests: a real CoreSession on a real Unix socket, with tests/helpers/raw-core.ts as core.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Registry } from 'prom-client';
import { createRegistry, flatMetrics } from '../../../overlay/src/metrics/registry.ts';
import { createIpcMetrics } from '../../../overlay/src/ipc/metrics.ts';
import type { MessageSink } from '../../../overlay/src/ipc/router.ts';
import { CoreSession, type NetworkGate } from '../../../overlay/src/ipc/session.ts';
import { createLogger } from '../../../overlay/src/util/log.ts';
import { localHello, networkIdOf, ALL_FEATURES } from '#ipc-protocol';
import { RawCore, TESTNET } from '../../helpers/raw-core.ts';
import { waitFor } from '../../helpers/wait.ts';

export { waitFor };

/** A network decided from the start. */
export const readyNetwork: NetworkGate = { ready: true, decide: async () => {} };

/** A network nobody decided yet: `decide` waits for `release()`; `asked` records what core's first frame named. */
export function pendingNetwork(): NetworkGate & { asked: (Uint8Array | null)[]; release(): void } {
  let release = () => {};
  const decided = new Promise<void>((r) => (release = r));
  const gate = {
    ready: false,
    asked: [] as (Uint8Array | null)[],
    decide: (id: Uint8Array | null) => {
      gate.asked.push(id === null ? null : Buffer.from(id));
      return decided;
    },
    release: () => {
      gate.ready = true;
      release();
    },
  };
  return gate;
}

export interface Harness {
  core: RawCore;
  session: CoreSession;
  registry: Registry;
  /** The session's log lines (JSON), in order. */
  logs: string[];
  /** Flat metric value (0 when absent). */
  metric(key: string): Promise<number>;
  close(): Promise<void>;
}

/** One overlay-side CoreSession serving one RawCore over a fresh socket. */
export async function sessionWith(onMessage: MessageSink, network: NetworkGate = readyNetwork): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'overlay-ipc-'));
  const socketPath = join(dir, 'core.sock');
  const registry = createRegistry({ processMetrics: false });
  const metrics = createIpcMetrics(registry);
  const logs: string[] = [];
  const log = createLogger('test', 'debug', (line) => {
    logs.push(line);
    if (process.env.OVERLAY_TEST_LOG !== undefined) process.stderr.write(line + '\n');
  });
  let session: CoreSession | undefined;
  const server: Server = createServer((socket) => {
    session = new CoreSession({
      socket,
      maxPayload: 1 << 20,
      droppableBacklogBytes: 1 << 20,
      log,
      metrics,
      localHello: () => localHello('test overlay', networkIdOf(TESTNET), ALL_FEATURES),
      network,
      ackExtras: { peerId: '12D3KooWtest', nodeKey: 'GTEST' },
      onMessage,
      onClose: () => {},
    });
  });
  await new Promise<void>((r) => server.listen(socketPath, r));
  const core = await RawCore.connect(socketPath);
  await waitFor('the session', () => session);
  return {
    core,
    session: session!,
    registry,
    logs,
    metric: async (key) => (await flatMetrics(registry))[key] ?? 0,
    close: async () => {
      core.close();
      session!.close();
      await new Promise<void>((r) => server.close(() => r()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Negotiates extensions (all features unless told) and waits for HELLO_ACK. */
export async function hello(core: RawCore, features: string[] = [...ALL_FEATURES]): Promise<void> {
  core.send({ type: 'HELLO', hello: { ...localHello('test core', networkIdOf(TESTNET), ALL_FEATURES), features } });
  await core.next('HELLO_ACK');
}

// A stand-in core for supervisor tests, run as its own process: connects to an overlay's Unix socket with
// CoreConnection (HELLO included), logs {"msg":"core connected"} each time, reconnects whenever the connection
// closes (the overlay restarted), and exits 0 on SIGTERM/SIGINT.
//   node tests/helpers/reconnecting-core.ts <socket path>
import { setTimeout as sleep } from 'node:timers/promises';
import { CoreConnection } from '../../core-bridge/src/client/connection.ts';
import { TESTNET } from './raw-core.ts';

/** Between connection attempts while the overlay is down (CoreConnection itself retries 10 × 100 ms). */
const RETRY_PAUSE_MS = 100;

const socketPath = process.argv[2];
if (socketPath === undefined) {
  process.stderr.write('usage: reconnecting-core.ts <socket path>\n');
  process.exit(2);
}

const say = (msg: string, fields: Record<string, unknown> = {}) =>
  process.stdout.write(JSON.stringify({ t: new Date().toISOString(), component: 'test-core', msg, ...fields }) + '\n');

let stopping = false;
let current: CoreConnection | null = null;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    stopping = true;
    say('stopping', { signal });
    current?.close();
    process.exit(0);
  });
}

let connections = 0;
while (!stopping) {
  try {
    const conn = await CoreConnection.open({ socketPath, networkPassphrase: TESTNET, software: 'supervisor test core' });
    current = conn;
    connections++;
    say('core connected', { connections });
    await new Promise<void>((resolve) => conn.once('close', () => resolve()));
    current = null;
    say('core disconnected');
  } catch (err) {
    say('cannot connect yet', { err: (err as Error).message });
  }
  await sleep(RETRY_PAUSE_MS);
}

#!/usr/bin/env node
// reference-core: a consensus/ledger process standing in for stellar-core beside an overlay. Connects to its overlay
// (retrying until it is up), serves HTTP on loopback and prints one JSON "ready" line on stdout. Logs go to stderr.
// Exit codes: 0 after SIGTERM/SIGINT, 2 on bad flags, 1 on anything fatal.
import { Registry, collectDefaultMetrics } from 'prom-client';
import { ProtocolError } from '#ipc-protocol';
import { OverlayClient } from '../src/client/overlay-client.ts';
import { parseCoreArgs, USAGE, type CoreConfig } from '../src/reference-core/config.ts';
import { CoreError } from '../src/reference-core/errors.ts';
import { startHttpApi, type HttpApi } from '../src/reference-core/http-api.ts';
import { createLogger, type Logger } from '../src/reference-core/log.ts';
import { ReferenceCore } from '../src/reference-core/reference-core.ts';

/** Ours: pause between rounds of connection attempts while the overlay is not up (each round is V2's 10 × 100 ms). */
const CONNECT_RETRY_MS = 500;
/** Ours: a stop that hangs must not keep the process alive forever. */
const STOP_DEADLINE_MS = 10_000;

async function connect(config: CoreConfig, registry: Registry, log: Logger, signal: AbortSignal): Promise<OverlayClient | null> {
  for (let attempt = 1; !signal.aborted; attempt++) {
    try {
      return await OverlayClient.connect({
        socketPath: config.socket,
        networkPassphrase: config.network,
        software: 'reference-core',
        registry,
        log: log.child('client'),
        signal,
      });
    } catch (err) {
      if (signal.aborted) return null;
      // A refused HELLO (other network, other protocol version) will not fix itself.
      if (err instanceof ProtocolError && (err.code === 'NETWORK_MISMATCH' || err.code === 'VERSION_MISMATCH')) throw err;
      if (attempt === 1 || attempt % 20 === 0) log.info('waiting for the overlay', { socket: config.socket, attempt, err: (err as Error).message });
      await new Promise((r) => setTimeout(r, CONNECT_RETRY_MS));
    }
  }
  return null;
}

async function main(): Promise<number> {
  let config: CoreConfig;
  try {
    config = parseCoreArgs(process.argv.slice(2));
  } catch (err) {
    if (err instanceof CoreError) {
      process.stderr.write(`reference-core: ${err.message}\n${USAGE}\n`);
      return 2;
    }
    throw err;
  }
  const log = createLogger('reference-core', config.logLevel);
  const registry = new Registry();
  collectDefaultMetrics({ register: registry }); // process and V8 heap figures, for the soak and operators
  const abort = new AbortController();
  let core: ReferenceCore | null = null;
  let http: HttpApi | null = null;
  let client: OverlayClient | null = null;

  const stopped = new Promise<number>((resolve) => {
    const stop = (why: string) => {
      log.info('shutting down', { why });
      abort.abort();
      setTimeout(() => {
        log.error('stop took too long; exiting', { deadlineMs: STOP_DEADLINE_MS });
        process.exit(1);
      }, STOP_DEADLINE_MS).unref();
      (async () => {
        await http?.close();
        await core?.stop();
        await client?.close();
      })().then(
        () => resolve(0),
        (err) => {
          log.error('error while stopping', { err });
          resolve(1);
        },
      );
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });

  try {
    client = await connect(config, registry, log, abort.signal);
    if (client === null) return await stopped;
    core = new ReferenceCore({ settings: config, overlay: client, log: log.child('core'), registry });
    http = await startHttpApi({ core, registry, log: log.child('http'), port: config.httpPort });
    core.start();
  } catch (err) {
    log.error('start failed', { err, detail: (err as Error).message });
    await http?.close();
    await core?.stop();
    await client?.close();
    return 1;
  }
  process.stdout.write(
    JSON.stringify({
      msg: 'ready',
      node: core.self,
      ledger: core.ledger.header.seq,
      socket: config.socket,
      overlayPeerId: client.overlayIdentity?.peerId ?? null,
      http: http.url,
    }) + '\n',
  );
  return stopped;
}

process.on('uncaughtException', (err) => {
  process.stderr.write(JSON.stringify({ t: new Date().toISOString(), level: 'error', component: 'reference-core', msg: 'uncaught exception', err: String(err?.stack ?? err) }) + '\n');
});

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`reference-core: fatal: ${(err as Error)?.stack ?? err}\n`);
    process.exit(1);
  },
);

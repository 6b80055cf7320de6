#!/usr/bin/env -S MALLOC_ARENA_MAX=2 MALLOC_MMAP_THRESHOLD_=65536 node --max-semi-space-size=2 --heap-growing-percent=50
// overlay-sidecar: the p2p overlay of a Stellar validator. `--help` for usage; docs/configuration.md for config.
// The shebang's environment and node flags are OVERLAY_ENV and OVERLAY_NODE_FLAGS (src/runtime-flags.ts, where they
// are explained; a unit test keeps them equal); `env -S` needs GNU coreutils ≥ 8.30. `node <flags>
// overlay-sidecar.ts` runs it with other flags (docs/configuration.md, "Launching").
import { parseCommandLine, USAGE } from '../src/config/cli.ts';
import { Overlay } from '../src/overlay.ts';
import { missingNodeFlags, OVERLAY_NODE_FLAGS } from '../src/runtime-flags.ts';
import { OverlayError } from '../src/util/errors.ts';
import { createLogger } from '../src/util/log.ts';

/** Ours: a stop that hangs (a stuck libp2p close) must not keep the process alive forever. */
const STOP_DEADLINE_MS = 10_000;

async function main(): Promise<number> {
  let config;
  try {
    config = parseCommandLine(process.argv.slice(2));
  } catch (err) {
    if (err instanceof OverlayError) {
      process.stderr.write(`overlay-sidecar: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  if (config === 'help') {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  const log = createLogger('overlay', config.log_level);
  const missing = missingNodeFlags();
  if (missing.length > 0) {
    // Once, at start: e.g. `node overlay/bin/overlay-sidecar.ts` bypasses the shebang.
    log.warn('recommended node flags missing: the overlay will take more memory (docs/configuration.md, "Launching")', {
      missing,
      recommended: OVERLAY_NODE_FLAGS,
    });
  }
  const overlay = new Overlay(config, log);

  let exitCode = 0;
  const done = new Promise<void>((resolve) => {
    const stop = (why: string) => {
      log.info('shutting down', { why });
      const timer = setTimeout(() => {
        log.error('stop took too long; exiting', { deadlineMs: STOP_DEADLINE_MS });
        process.exit(1);
      }, STOP_DEADLINE_MS);
      timer.unref();
      overlay.stop().then(resolve, (err) => {
        log.error('error while stopping', { err });
        exitCode = 1;
        resolve();
      });
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
    overlay.once('shutdown', () => stop('SHUTDOWN from core'));
    overlay.once('fatal', () => {
      exitCode = 1;
      stop('fatal error');
    });
  });

  try {
    await overlay.start();
  } catch (err) {
    log.error('start failed', { err, detail: (err as Error).message });
    await overlay.stop().catch(() => {});
    return err instanceof OverlayError ? 2 : 1;
  }
  await done;
  return exitCode;
}

process.on('uncaughtException', (err) => {
  process.stderr.write(JSON.stringify({ t: new Date().toISOString(), level: 'error', component: 'overlay', msg: 'uncaught exception', err: String(err?.stack ?? err) }) + '\n');
});

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`overlay-sidecar: fatal: ${(err as Error)?.stack ?? err}\n`);
    process.exit(1);
  },
);

// Preparing the Unix socket path: a private directory (0700, created if missing), a stale socket from a dead
// process replaced, a live one never stolen.
import { chmodSync, lstatSync, mkdirSync, statSync, unlinkSync } from 'node:fs';
import { createConnection } from 'node:net';
import { dirname } from 'node:path';
import { OverlayError } from '../util/errors.ts';
import type { Logger } from '../util/log.ts';

/** Resolves true if something accepts connections on `path`. */
function isLive(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export async function prepareSocketPath(path: string, log: Logger): Promise<void> {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = statSync(dir);
  if (st.uid === process.getuid?.() && (st.mode & 0o077) !== 0) {
    // Our own directory but open to others: tighten it rather than expose the socket.
    try {
      chmodSync(dir, 0o700);
    } catch {
      /* reported below */
    }
  }
  if ((statSync(dir).mode & 0o077) !== 0) {
    log.warn('socket directory is accessible to other users; prefer a private directory', { dir });
  }

  let existing;
  try {
    existing = lstatSync(path);
  } catch {
    return; // nothing there
  }
  if (!existing.isSocket()) {
    throw new OverlayError('SOCKET_IN_USE', `${path} exists and is not a socket; refusing to replace it`);
  }
  if (await isLive(path)) {
    throw new OverlayError('SOCKET_IN_USE', `another process is listening on ${path}`);
  }
  log.info('replacing stale socket', { path });
  unlinkSync(path);
}

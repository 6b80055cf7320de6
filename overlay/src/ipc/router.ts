// Routes core's messages to the module that owns them. A handler's typed failure becomes an ERROR frame with the
// request's id (extension sessions); anything unexpected is logged and answered INTERNAL. Handlers never crash the
// process.
import { entryByName, type ErrorCodeName, type ToOverlayMessage, type ToOverlayName } from '#ipc-protocol';
import { OverlayError } from '../util/errors.ts';
import type { Logger } from '../util/log.ts';
import type { CoreSession } from './session.ts';

export type Handler<K extends ToOverlayName> = (
  msg: Extract<ToOverlayMessage, { type: K }>,
  session: CoreSession,
) => void | Promise<void>;

export type Routes = { [K in ToOverlayName]?: Handler<K> };

const overlayToWire: Partial<Record<OverlayError['code'], ErrorCodeName>> = {
  NOT_FOUND: 'NOT_FOUND',
  TIMEOUT: 'TIMEOUT',
  BUSY: 'BUSY',
  BAN_INVALID: 'INVALID_REQUEST',
  PEER_ADDRESS_INVALID: 'INVALID_REQUEST',
  TXSET_INVALID: 'INVALID_REQUEST',
};

function requestIdOf(msg: ToOverlayMessage): bigint {
  return 'requestId' in msg && typeof msg.requestId === 'bigint' ? msg.requestId : 0n;
}

export function createRouter(routes: Routes, log: Logger) {
  return (msg: ToOverlayMessage, session: CoreSession): void => {
    const handler = routes[msg.type] as Handler<typeof msg.type> | undefined;
    const refType = entryByName(msg.type).id;
    const fail = (err: unknown) => {
      const code = err instanceof OverlayError ? (overlayToWire[err.code] ?? 'INTERNAL') : 'INTERNAL';
      if (code === 'INTERNAL') log.error('handler failed', { type: msg.type, err });
      else log.debug('request failed', { type: msg.type, code, detail: (err as Error).message });
      session.sendError(requestIdOf(msg), code, refType, (err as Error).message ?? String(err));
    };
    if (handler === undefined) {
      log.warn('message not supported by this overlay', { type: msg.type });
      session.sendError(requestIdOf(msg), 'INVALID_REQUEST', refType, `${msg.type} is not supported by this overlay`);
      return;
    }
    try {
      const r = handler(msg as never, session);
      if (r instanceof Promise) r.catch(fail);
    } catch (err) {
      fail(err);
    }
  };
}


// Routes core's messages to the module that owns them. A handler's typed failure becomes an ERROR frame with the
// request's id (extension sessions); anything unexpected is logged and answered INTERNAL. Handlers never crash the
// process.
//
// Per message this is one array load by frame type: handler and refType are resolved per type when the router is
// made, and a failure's closure is made only for a handler that returned a promise.
import { MsgType, TYPE_TABLE_SIZE, catalogue, type ErrorCodeName, type ToOverlayMessage, type ToOverlayName } from '#ipc-protocol';
import { OverlayError } from '../util/errors.ts';
import type { Logger } from '../util/log.ts';
import type { CoreSession } from './session.ts';

export type Handler<K extends ToOverlayName> = (
  msg: Extract<ToOverlayMessage, { type: K }>,
  session: CoreSession,
) => void | Promise<void>;

/** SUBMIT_TX as its fields, without a message object (MessageDecoder's onSubmitTx; `fee` a number when exact). */
export type SubmitTxHandler = (tx: Uint8Array, numOps: number, fee: number | bigint, session: CoreSession) => void;

export type Routes = { [K in ToOverlayName]?: Handler<K> } & {
  /** SUBMIT_TX in field form; when given it serves SUBMIT_TX (a `SUBMIT_TX` route is then not used). */
  submitTx?: SubmitTxHandler;
};

/** What a CoreSession hands core's messages to (SessionOptions.onMessage). */
export interface MessageSink {
  /** `type` is the frame type (the router then needs no lookup by name). */
  (msg: ToOverlayMessage, session: CoreSession, type: number): void;
  /** When present, the session hands SUBMIT_TX here as its fields; otherwise as a message. */
  readonly submitTx?: SubmitTxHandler;
}

/** createRouter's sink; `type` may be left out (it is then looked up by name). */
export interface Router {
  (msg: ToOverlayMessage, session: CoreSession, type?: number): void;
  readonly submitTx: SubmitTxHandler;
}

const overlayToWire: Partial<Record<OverlayError['code'], ErrorCodeName>> = {
  NOT_FOUND: 'NOT_FOUND',
  TIMEOUT: 'TIMEOUT',
  BUSY: 'BUSY',
  BAN_INVALID: 'INVALID_REQUEST',
  PEER_ADDRESS_INVALID: 'INVALID_REQUEST',
  TXSET_INVALID: 'INVALID_REQUEST',
};

/** A message's request id; 0 for the messages that carry none. */
export function requestIdOf(msg: ToOverlayMessage): bigint {
  return 'requestId' in msg && typeof msg.requestId === 'bigint' ? msg.requestId : 0n;
}

type AnyHandler = (msg: ToOverlayMessage, session: CoreSession) => void | Promise<void>;

/** SUBMIT_TX's message from its fields (MessageDecoder's onSubmitTx), for a consumer that takes messages. */
export function submitTxMessage(tx: Uint8Array, numOps: number, fee: number | bigint): Extract<ToOverlayMessage, { type: 'SUBMIT_TX' }> {
  return { type: 'SUBMIT_TX', fee: typeof fee === 'bigint' ? fee : BigInt(fee), numOps, tx };
}

export function createRouter(routes: Routes, log: Logger): Router {
  // Handlers by frame type; a type without a route (or not travelling to the overlay) stays undefined.
  const handlers = new Array<AnyHandler | undefined>(TYPE_TABLE_SIZE).fill(undefined);
  for (const name of Object.keys(catalogue) as (keyof typeof catalogue)[]) {
    const handler = routes[name as ToOverlayName] as AnyHandler | undefined;
    if (catalogue[name].direction === 'toOverlay' && handler !== undefined) handlers[catalogue[name].id] = handler;
  }
  const { submitTx } = routes;
  if (submitTx !== undefined) {
    handlers[MsgType.SUBMIT_TX] = (m, s) => {
      const { tx, numOps, fee } = m as Extract<ToOverlayMessage, { type: 'SUBMIT_TX' }>;
      submitTx(tx, numOps, fee, s);
    };
  }

  const fail = (msg: ToOverlayMessage, refType: number, session: CoreSession, err: unknown): void => {
    const code = err instanceof OverlayError ? (overlayToWire[err.code] ?? 'INTERNAL') : 'INTERNAL';
    if (code === 'INTERNAL') log.error('handler failed', { type: msg.type, err });
    else log.debug('request failed', { type: msg.type, code, detail: (err as Error).message });
    session.sendError(requestIdOf(msg), code, refType, (err as Error).message ?? String(err));
  };

  const route = (msg: ToOverlayMessage, session: CoreSession, type: number = MsgType[msg.type]): void => {
    const handler = type < TYPE_TABLE_SIZE ? handlers[type] : undefined;
    if (handler === undefined) {
      log.warn('message not supported by this overlay', { type: msg.type });
      session.sendError(requestIdOf(msg), 'INVALID_REQUEST', type, `${msg.type} is not supported by this overlay`);
      return;
    }
    try {
      const r = handler(msg, session);
      if (r instanceof Promise) r.catch((err: unknown) => fail(msg, type, session, err));
    } catch (err) {
      fail(msg, type, session, err);
    }
  };

  // SUBMIT_TX in field form: straight to the route when it takes fields, else as the message it expects.
  const sinkSubmitTx: SubmitTxHandler =
    submitTx !== undefined
      ? (tx, numOps, fee, session) => {
          try {
            submitTx(tx, numOps, fee, session);
          } catch (err) {
            fail(submitTxMessage(tx, numOps, fee), MsgType.SUBMIT_TX, session, err);
          }
        }
      : (tx, numOps, fee, session) => route(submitTxMessage(tx, numOps, fee), session, MsgType.SUBMIT_TX);

  return Object.assign(route, { submitTx: sinkSubmitTx });
}

// From socket chunks to messages in one pass, for the receiving side of a session. The frequent messages
// (SUBMIT_TX, SUBMIT_TX_CHECKED, SUBMIT_TX_BATCH, TX_VERDICT, TX_VERDICT_BATCH, BROADCAST_SCP, SCP_RECEIVED) are
// decoded in place from the chunk: one view per binary field, no payload view, no reader, one table lookup by frame
// type that also settles the direction. Every other frame, and any frame the in-place decoder declines (malformed),
// goes through `decodeMessage`, so the messages and the errors are exactly those of `FrameDecoder` + `decodeMessage`.
//
// SUBMIT_TX, the highest-rate message of all, can skip even the message object: a handler with `onSubmitTx` gets
// its fields as arguments (the tx view, numOps, the fee as a number when exact), ~9 ns and ~70 B of garbage less per
// frame than the object with its BigInt (in-process, against ~23 ns for bare framing).
//
// Measured on the receiving side of `npm run bench:codec` (SUBMIT_TX, 250 B tx): see docs/bench/notes/codec.md.
import { readI64Exact, readU32, viewOf } from './bytes.ts';
import { MsgType, type Direction, type ToCoreMessage, type ToOverlayMessage } from './catalogue.ts';
import { decodeMessage, type DecodeOptions } from './codec.ts';
import { ProtocolError } from './errors.ts';
import { FrameDecoder, type FrameDecoderOptions, type FrameVisitor } from './frame-decoder.ts';
import { inPlaceDecoders, type DecodeAt } from './message-codecs.ts';

/** The messages that travel `D`. */
export type MessageFor<D extends Direction> = D extends 'toOverlay' ? ToOverlayMessage : ToCoreMessage;

/**
 * What a MessageDecoder calls, once per frame, in stream order. An object rather than closures, so a session can
 * hand over one long-lived handler. Binary fields and `payload` are views of the receive buffer, valid during the
 * call: copy what you keep (docs/ipc-protocol.md §3). Neither method should throw: an exception leaves `push` and
 * the rest of that chunk is lost.
 */
export interface MessageHandler<M> {
  /** A well-formed message; `type` is its frame type. */
  onMessage(msg: M, type: number): void;
  /**
   * Optional, for a decoder receiving `toOverlay`: a well-formed SUBMIT_TX without a message object (onMessage is
   * then not called for it). `fee` is a number when that is exact (-2⁵³ ≤ fee < 2⁵³, as every fee a Stellar network
   * charges), else a bigint. For a consumer that needs only the tx, as the overlay's intake.
   */
  onSubmitTx?(tx: Uint8Array, numOps: number, fee: number | bigint): void;
  /**
   * A frame that is not a valid message here: UNKNOWN_TYPE, WRONG_DIRECTION or MALFORMED_PAYLOAD (never fatal; the
   * stream goes on). `payload` is the frame's payload, e.g. for `peekRequestId`.
   */
  onBadFrame(err: ProtocolError, type: number, payload: Uint8Array): void;
}

export interface MessageDecoderOptions<D extends Direction> extends FrameDecoderOptions {
  /** The direction this side receives: frames travelling the other way are WRONG_DIRECTION. */
  direction: D;
}

/** The per-frame step, kept apart so MessageDecoder's public face is only push() and the counters. */
/** SUBMIT_TX's fixed fields: fee i64, numOps u32. */
const SUBMIT_TX_FIXED = 12;

class Dispatch<D extends Direction> implements FrameVisitor {
  private readonly inPlace: readonly (DecodeAt | undefined)[];
  private readonly options: DecodeOptions;
  /** SUBMIT_TX's id when this side receives it, else -1 (a frame type is never negative). */
  private readonly submitTx: number;
  handler: MessageHandler<MessageFor<D>> | null = null;

  constructor(direction: D) {
    this.inPlace = inPlaceDecoders(direction);
    this.options = { direction };
    this.submitTx = direction === 'toOverlay' ? MsgType.SUBMIT_TX : -1;
  }

  frame(type: number, bytes: Uint8Array, start: number, end: number): void {
    const handler = this.handler!;
    if (type === this.submitTx && end - start >= SUBMIT_TX_FIXED && handler.onSubmitTx !== undefined) {
      const tx = viewOf(bytes, start + SUBMIT_TX_FIXED, end);
      handler.onSubmitTx(tx, readU32(bytes, start + 8), readI64Exact(bytes, start));
      return;
    }
    // Types beyond the table read undefined: the general path then reports them.
    const decodeAt = type < this.inPlace.length ? this.inPlace[type] : undefined;
    const msg = decodeAt === undefined ? undefined : decodeAt(bytes, start, end);
    if (msg !== undefined) {
      handler.onMessage(msg as MessageFor<D>, type);
      return;
    }
    // Views here are plain Uint8Arrays too, whether the frame lay in a Buffer chunk or its own assembly buffer.
    const payload = viewOf(bytes, start, end);
    let general: MessageFor<D>;
    try {
      general = decodeMessage(type, payload, this.options) as MessageFor<D>;
    } catch (err) {
      // decodeMessage raises ProtocolError only; anything else would be our bug, still reported per frame.
      const pe = err instanceof ProtocolError ? err : new ProtocolError('MALFORMED_PAYLOAD', String(err), type, { cause: err });
      handler.onBadFrame(pe, type, payload);
      return;
    }
    handler.onMessage(general, type);
  }
}

export class MessageDecoder<D extends Direction> {
  readonly direction: D;
  private readonly frames: FrameDecoder;
  private readonly dispatch: Dispatch<D>;

  constructor(options: MessageDecoderOptions<D>) {
    this.direction = options.direction;
    this.frames = new FrameDecoder(options);
    this.dispatch = new Dispatch(options.direction);
  }

  get maxPayload(): number {
    return this.frames.maxPayload;
  }

  /** Frames decoded since creation, good or bad. */
  get framesDecoded(): number {
    return this.frames.frames;
  }

  /** Bytes held for an incomplete frame. */
  get buffered(): number {
    return this.frames.buffered;
  }

  /** Bytes allocated for the incomplete frame's payload. */
  get allocated(): number {
    return this.frames.allocated;
  }

  /**
   * Consumes `chunk`, calling `handler` once per complete frame, in order. An oversized length raises ProtocolError
   * FRAME_TOO_LARGE (fatal: every later push raises it too), after the frames before it were handled.
   */
  push(chunk: Uint8Array, handler: MessageHandler<MessageFor<D>>): void {
    const dispatch = this.dispatch;
    dispatch.handler = handler;
    try {
      this.frames.visit(chunk, dispatch);
    } finally {
      dispatch.handler = null; // holds no handler (nor what it closes over) between chunks
    }
  }
}

// Encode and decode whole messages. Framing lives in frame-decoder.ts / frame-writer.ts; this layer maps a frame
// (type + payload) to a typed message and back, raising ProtocolError with a code and the frame type.
import { ByteReader, ByteWriter } from './bytes.ts';
import { HEADER_SIZE, MAX_PAYLOAD } from './constants.ts';
import { ProtocolError } from './errors.ts';
import {
  catalogue,
  entryById,
  type CatalogueEntry,
  type Direction,
  type Message,
  type MessageName,
} from './catalogue.ts';

/** Appends one whole frame (header + payload) to `w`. */
export function writeFrame(w: ByteWriter, msg: Message, maxPayload = MAX_PAYLOAD): void {
  const d = catalogue[msg.type];
  const start = w.pos;
  w.reserve(HEADER_SIZE);
  w.pos += HEADER_SIZE;
  try {
    (d.layout as { write(w: ByteWriter, v: unknown): void }).write(w, msg);
  } catch (err) {
    w.pos = start;
    throw err;
  }
  const len = w.pos - start - HEADER_SIZE;
  if (len > maxPayload) {
    w.pos = start;
    throw new ProtocolError('FRAME_TOO_LARGE', `${msg.type} payload of ${len} bytes exceeds ${maxPayload}`, d.id);
  }
  w.buf.writeUInt32LE(d.id, start);
  w.buf.writeUInt32LE(len, start + 4);
}

/** Appends a frame whose payload is already encoded (relays, tests, fuzzers). */
export function writeRawFrame(w: ByteWriter, type: number, payload: Uint8Array): void {
  w.reserve(HEADER_SIZE + payload.length);
  w.buf.writeUInt32LE(type >>> 0, w.pos);
  w.buf.writeUInt32LE(payload.length, w.pos + 4);
  w.buf.set(payload, w.pos + HEADER_SIZE);
  w.pos += HEADER_SIZE + payload.length;
}

/** One message as a standalone frame. */
export function encodeFrame(msg: Message, maxPayload = MAX_PAYLOAD): Buffer {
  const w = new ByteWriter(256);
  writeFrame(w, msg, maxPayload);
  return w.view();
}

/** Only the payload of a message (no header). */
export function encodePayload(msg: Message): Buffer {
  const w = new ByteWriter(256);
  (catalogue[msg.type].layout as { write(w: ByteWriter, v: unknown): void }).write(w, msg);
  return w.view();
}

export interface DecodeOptions {
  /** Reject frames travelling the other way (WRONG_DIRECTION). */
  direction?: Direction;
}

export function lookupEntry(type: number, options: DecodeOptions = {}): CatalogueEntry {
  const entry = entryById(type);
  if (entry === undefined) throw new ProtocolError('UNKNOWN_TYPE', `unknown frame type ${type}`, type);
  if (options.direction !== undefined && entry.direction !== options.direction) {
    throw new ProtocolError(
      'WRONG_DIRECTION',
      `${entry.name} (${type}) travels ${entry.direction === 'toCore' ? 'overlay→core' : 'core→overlay'} only`,
      type,
    );
  }
  return entry;
}

/**
 * Decodes one frame's payload. Binary fields are views into `payload`: copy what you keep.
 * Throws ProtocolError UNKNOWN_TYPE, WRONG_DIRECTION or MALFORMED_PAYLOAD, never a stray TypeError.
 */
export function decodeMessage(type: number, payload: Uint8Array, options: DecodeOptions = {}): Message {
  const entry = lookupEntry(type, options);
  const r = new ByteReader(payload, type);
  let fields: Record<string, unknown>;
  try {
    fields = entry.layout.read(r);
    r.end();
  } catch (err) {
    if (err instanceof ProtocolError) throw err;
    throw new ProtocolError('MALFORMED_PAYLOAD', `cannot decode ${entry.name}: ${(err as Error).message}`, type, {
      cause: err,
    });
  }
  fields.type = entry.name;
  return fields as unknown as Message;
}

/** Narrowing helper: `decodeAs('GET_TOP_TXS', payload)`. */
export function decodeAs<K extends MessageName>(name: K, payload: Uint8Array): Extract<Message, { type: K }> {
  return decodeMessage(catalogue[name].id, payload) as Extract<Message, { type: K }>;
}

/**
 * The request id at the head of a correlated payload, read without decoding the rest, so that an ERROR can answer
 * even a malformed request. 0n when the type carries no request id or the payload is too short.
 */
export function peekRequestId(type: number, payload: Uint8Array): bigint {
  const entry = entryById(type);
  if (entry === undefined || !entry.correlated || payload.length < 8) return 0n;
  return new DataView(payload.buffer, payload.byteOffset, 8).getBigUint64(0, true);
}

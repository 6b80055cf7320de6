// Field combinators: each message layout is declared once as an ordered list of fields, from which its
// TypeScript type, its encoder and its decoder all follow. A layout cannot drift between the three.
import { Packr, Unpackr } from 'msgpackr';
import type { z } from 'zod';
import { ByteReader, ByteWriter } from './bytes.ts';
import { HASH_SIZE } from './constants.ts';
import { ProtocolError } from './errors.ts';

export interface Field<T> {
  /** `what` names the field in error messages. */
  read(r: ByteReader, what?: string): T;
  /** Throws ProtocolError MALFORMED_PAYLOAD for a value the layout cannot carry (out of range, wrong length). */
  write(w: ByteWriter, v: T, what?: string): void;
  /** Smallest encoding, used to reject impossible element counts before allocating. */
  readonly minSize: number;
  /** What the field is on the wire; struct() compiles its per-field steps from it. */
  readonly kind: FieldKind;
  /** The whole wire layout in one string (`{fee:i64,numOps:u32,tx:rest}`), to check hand-written codecs against. */
  readonly shape: string;
}

export type FieldKind =
  | 'u8'
  | 'u32'
  | 'u64'
  | 'i64'
  | 'hash'
  | 'rest'
  | 'sized'
  | 'hashList'
  | 'list'
  | 'struct'
  | 'msgpack'
  | 'json';

export type FieldValue<F> = F extends Field<infer T> ? T : never;
export type Fields = Record<string, Field<any>>;
export type StructOf<F extends Fields> = { [K in keyof F]: FieldValue<F[K]> };

function invalid(what: string, frameType = 0): never {
  throw new ProtocolError('MALFORMED_PAYLOAD', what, frameType);
}

export const u8: Field<number> = {
  kind: 'u8',
  shape: 'u8',
  minSize: 1,
  read: (r, what) => r.u8(what),
  write: (w, v, what) => w.u8(v, what),
};

export const u32: Field<number> = {
  kind: 'u32',
  shape: 'u32',
  minSize: 4,
  read: (r, what) => r.u32(what),
  write: (w, v, what) => w.u32(v, what),
};

export const u64: Field<bigint> = {
  kind: 'u64',
  shape: 'u64',
  minSize: 8,
  read: (r, what) => r.u64(what),
  write: (w, v, what) => w.u64(v, what),
};

export const i64: Field<bigint> = {
  kind: 'i64',
  shape: 'i64',
  minSize: 8,
  read: (r, what) => r.i64(what),
  write: (w, v, what) => w.i64(v, what),
};

/** A 32-byte hash (SHA-256), as a view. */
export const hash: Field<Uint8Array> = {
  kind: 'hash',
  shape: 'hash',
  minSize: HASH_SIZE,
  read: (r, what = 'hash') => r.bytesView(HASH_SIZE, what),
  write: (w, v, what = 'hash') => writeHash(w, v, what),
};

export function checkHash(v: Uint8Array, what = 'hash'): void {
  if (v.length !== HASH_SIZE) invalid(`${what} must be ${HASH_SIZE} bytes, got ${v.length}`);
}

export function writeHash(w: ByteWriter, v: Uint8Array, what = 'hash'): void {
  checkHash(v, what);
  w.bytes(v);
}

/** Everything left in the payload (an opaque XDR object at the end of a layout). */
export const rest: Field<Uint8Array> = {
  kind: 'rest',
  shape: 'rest',
  minSize: 0,
  read: (r) => r.rest(),
  write: (w, v) => w.bytes(v),
};

/** `len u32 LE` then `len` bytes. */
export const sized: Field<Uint8Array> = {
  kind: 'sized',
  shape: 'sized',
  minSize: 4,
  read: (r) => r.bytesView(r.u32('length'), 'sized bytes'),
  write: (w, v) => {
    w.u32(v.length, 'length');
    w.bytes(v);
  },
};

/** Refuses a declared count above the list's maximum or beyond what the rest of the payload can hold. */
function checkCount(r: ByteReader, n: number, max: number, minItem: number, what: string): void {
  if (n > max) invalid(`${what} ${n} exceeds the maximum of ${max}`, r.frameType);
  if (n * minItem > r.remaining) invalid(`${what} ${n} exceeds the payload`, r.frameType);
}

/** Refuses (on encode) a list longer than its maximum. */
export function checkMax(n: number, max: number, what: string): void {
  if (n > max) invalid(`${what} of ${n} elements exceeds the maximum of ${max}`);
}

/**
 * `n u32 LE` then n × 32-byte hashes, kept as one contiguous run of n × 32 bytes; at most `maxCount` hashes.
 */
export function hashList(maxCount: number): Field<Uint8Array> {
  return {
    kind: 'hashList',
    shape: `hashList[${maxCount}]`,
    minSize: 4,
    read: (r) => {
      const n = r.u32('hash count');
      checkCount(r, n, maxCount, HASH_SIZE, 'hash count');
      return r.bytesView(n * HASH_SIZE, 'hashes');
    },
    write: (w, v, what = 'hash list') => {
      if (v.length % HASH_SIZE !== 0) invalid(`${what} length ${v.length} is not a multiple of ${HASH_SIZE}`);
      checkMax(v.length / HASH_SIZE, maxCount, what);
      w.u32(v.length / HASH_SIZE);
      w.bytes(v);
    },
  };
}

/**
 * `count u32 LE` then count × item; at most `maxCount` items. The count is checked against the maximum and
 * against the remaining bytes at the item's smallest size before anything is allocated.
 */
export function list<T>(item: Field<T>, maxCount: number): Field<T[]> {
  if (!Number.isInteger(maxCount) || maxCount < 0 || maxCount > 0xffff_ffff) {
    throw new RangeError(`list maxCount must be a u32, got ${maxCount}`);
  }
  const shape = `list<${item.shape}>[${maxCount}]`;
  const write = (w: ByteWriter, v: T[], what = 'list'): void => {
    checkMax(v.length, maxCount, what);
    w.u32(v.length, 'count');
    for (let i = 0; i < v.length; i++) item.write(w, v[i]!, what);
  };
  if (item.kind === 'sized') {
    // Transaction lists: the item read inlined, one view per element and nothing else.
    return {
      kind: 'list',
      shape,
      minSize: 4,
      read: (r) => {
        const n = r.u32('count');
        checkCount(r, n, maxCount, 4, 'count');
        const out = new Array<Uint8Array>(n);
        for (let i = 0; i < n; i++) out[i] = r.bytesView(r.u32('length'), 'sized bytes');
        return out as T[];
      },
      write,
    };
  }
  return {
    kind: 'list',
    shape,
    minSize: 4,
    read: (r) => {
      const n = r.u32('count');
      checkCount(r, n, maxCount, item.minSize, 'count');
      const out = new Array<T>(n);
      for (let i = 0; i < n; i++) out[i] = item.read(r);
      return out;
    },
    write,
  };
}

/** One compiled step of a struct: reads one field into the output object, or writes it from the value. */
type ReadStep = (r: ByteReader, out: Record<string, unknown>) => void;
type WriteStep = (w: ByteWriter, v: Record<string, unknown>) => void;

/**
 * Steps specialised by field kind, built once per layout: the hot integer and byte fields call the reader/writer
 * directly (monomorphic, inlinable) instead of going through the generic Field interface.
 */
function readStep(key: string, f: Field<unknown>): ReadStep {
  switch (f.kind) {
    case 'u8':
      return (r, out) => {
        out[key] = r.u8(key);
      };
    case 'u32':
      return (r, out) => {
        out[key] = r.u32(key);
      };
    case 'u64':
      return (r, out) => {
        out[key] = r.u64(key);
      };
    case 'i64':
      return (r, out) => {
        out[key] = r.i64(key);
      };
    case 'hash':
      return (r, out) => {
        out[key] = r.bytesView(HASH_SIZE, key);
      };
    case 'rest':
      return (r, out) => {
        out[key] = r.rest();
      };
    default:
      return (r, out) => {
        out[key] = f.read(r, key);
      };
  }
}

function writeStep(key: string, f: Field<unknown>): WriteStep {
  switch (f.kind) {
    case 'u8':
      return (w, v) => w.u8(v[key] as number, key);
    case 'u32':
      return (w, v) => w.u32(v[key] as number, key);
    case 'u64':
      return (w, v) => w.u64(v[key] as bigint, key);
    case 'i64':
      return (w, v) => w.i64(v[key] as bigint, key);
    case 'rest':
      return (w, v) => w.bytes(v[key] as Uint8Array);
    default:
      return (w, v) => f.write(w, v[key], key);
  }
}

/** A struct's fields, compiled: `readInto` fills an object the caller made (the catalogue starts it with `type`). */
export interface StructField<T> extends Field<T> {
  readonly kind: 'struct';
  readonly keys: readonly string[];
  readInto(r: ByteReader, out: Record<string, unknown>): void;
}

export function struct<F extends Fields>(fields: F): StructField<StructOf<F>> {
  const keys = Object.keys(fields);
  const reads = keys.map((k) => readStep(k, fields[k]!));
  const writes = keys.map((k) => writeStep(k, fields[k]!));
  const n = keys.length;
  const readInto = (r: ByteReader, out: Record<string, unknown>): void => {
    for (let i = 0; i < n; i++) reads[i]!(r, out);
  };
  return {
    kind: 'struct',
    keys,
    shape: `{${keys.map((k) => `${k}:${fields[k]!.shape}`).join(',')}}`,
    minSize: keys.reduce((sum, k) => sum + fields[k]!.minSize, 0),
    readInto,
    read: (r) => {
      const out: Record<string, unknown> = {};
      readInto(r, out);
      return out as StructOf<F>;
    },
    write: (w, v) => {
      for (let i = 0; i < n; i++) writes[i]!(w, v as Record<string, unknown>);
    },
  };
}

// msgpack maps with string keys, no msgpackr record extension: any msgpack library can read them (native/ uses
// msgpack-cxx). Keys are written in schema order so encodings are canonical.
const packr = new Packr({ useRecords: false, variableMapSize: true });
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true });

function schemaError(frameType: number, what: string, issues: z.core.$ZodIssue[]): never {
  const detail = issues
    .slice(0, 3)
    .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
    .join('; ');
  invalid(`${what} does not match its schema: ${detail}`, frameType);
}

/**
 * A plain check standing in for a zod schema on the common case: true only for values the schema accepts unchanged
 * (they are then used as they are); on false the schema decides, and names the fault. For payloads on a request
 * path, where zod's parse (which also copies the value) was a measurable share of the round trip.
 */
export type SchemaShortcut = (value: unknown) => boolean;

/** Validates with `shortcut` when it vouches for the value, else with zod: the value to use, or MALFORMED_PAYLOAD. */
function validated<S extends z.ZodType>(
  schema: S,
  shortcut: SchemaShortcut | undefined,
  value: unknown,
  frameType: number,
  what: string,
): z.output<S> {
  if (shortcut !== undefined && shortcut(value)) return value as z.output<S>;
  const parsed = schema.safeParse(value);
  if (!parsed.success) schemaError(frameType, what, parsed.error.issues);
  return parsed.data;
}

/** The rest of the payload as one msgpack value, validated by a zod schema (or `shortcut`, see SchemaShortcut). */
export function msgpack<S extends z.ZodType>(schema: S, shortcut?: SchemaShortcut): Field<z.output<S>> {
  return {
    kind: 'msgpack',
    shape: 'msgpack',
    minSize: 1,
    read: (r) => {
      const raw = r.rest();
      let value: unknown;
      try {
        value = unpackr.unpack(raw);
      } catch (cause) {
        throw new ProtocolError('MALFORMED_PAYLOAD', `bad msgpack: ${(cause as Error).message}`, r.frameType, {
          cause,
        });
      }
      return validated(schema, shortcut, value, r.frameType, 'msgpack payload');
    },
    write: (w, v) => {
      w.bytes(packr.pack(validated(schema, shortcut, v, 0, 'msgpack payload')));
    },
  };
}

/**
 * The rest of the payload as UTF-8 JSON (the V2 dialect's choice), validated by a zod schema (or `shortcut`, see
 * SchemaShortcut) over the wire form and mapped to and from the TypeScript form.
 */
export function json<S extends z.ZodType, T>(
  schema: S,
  fromWire: (wire: z.output<S>) => T,
  toWire: (value: T) => z.input<S>,
  shortcut?: SchemaShortcut,
): Field<T> {
  return {
    kind: 'json',
    shape: 'json',
    minSize: 2,
    read: (r) => {
      const text = r.utf8(r.remaining, 'JSON payload');
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (cause) {
        throw new ProtocolError('MALFORMED_PAYLOAD', `bad JSON: ${(cause as Error).message}`, r.frameType, {
          cause,
        });
      }
      return fromWire(validated(schema, shortcut, value, r.frameType, 'JSON payload'));
    },
    write: (w, v) => {
      // Validated on the way out too, so we never write what a conforming decoder (ours or native/) rejects.
      w.utf8(JSON.stringify(validated(schema, shortcut, toWire(v), 0, 'JSON payload')));
    },
  };
}

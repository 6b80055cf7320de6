// Field combinators: each message layout is declared once as an ordered list of fields, from which its
// TypeScript type, its encoder and its decoder all follow. A layout cannot drift between the three.
import { Packr, Unpackr } from 'msgpackr';
import type { z } from 'zod';
import { ByteReader, ByteWriter } from './bytes.ts';
import { HASH_SIZE } from './constants.ts';
import { ProtocolError } from './errors.ts';

export interface Field<T> {
  read(r: ByteReader): T;
  write(w: ByteWriter, v: T): void;
  /** Smallest encoding, used to reject impossible element counts before allocating. */
  readonly minSize: number;
}

export type FieldValue<F> = F extends Field<infer T> ? T : never;
export type Fields = Record<string, Field<any>>;
export type StructOf<F extends Fields> = { [K in keyof F]: FieldValue<F[K]> };

function invalid(what: string, frameType = 0): never {
  throw new ProtocolError('MALFORMED_PAYLOAD', what, frameType);
}

export const u8: Field<number> = {
  minSize: 1,
  read: (r) => r.u8(),
  write: (w, v) => w.u8(v),
};

export const u32: Field<number> = {
  minSize: 4,
  read: (r) => r.u32(),
  write: (w, v) => w.u32(v),
};

export const u64: Field<bigint> = {
  minSize: 8,
  read: (r) => r.u64(),
  write: (w, v) => w.u64(v),
};

export const i64: Field<bigint> = {
  minSize: 8,
  read: (r) => r.i64(),
  write: (w, v) => w.i64(v),
};

/** A 32-byte hash (SHA-256), as a view. */
export const hash: Field<Uint8Array> = {
  minSize: HASH_SIZE,
  read: (r) => r.bytesView(HASH_SIZE, 'hash'),
  write: (w, v) => {
    if (v.length !== HASH_SIZE) invalid(`hash must be ${HASH_SIZE} bytes, got ${v.length}`);
    w.bytes(v);
  },
};

/** Everything left in the payload (an opaque XDR object at the end of a layout). */
export const rest: Field<Uint8Array> = {
  minSize: 0,
  read: (r) => r.rest(),
  write: (w, v) => w.bytes(v),
};

/** `len u32 LE` then `len` bytes. */
export const sized: Field<Uint8Array> = {
  minSize: 4,
  read: (r) => r.bytesView(r.u32('length'), 'sized bytes'),
  write: (w, v) => {
    w.u32(v.length);
    w.bytes(v);
  },
};

/** `n u32 LE` then n × 32-byte hashes, kept as one contiguous run of n × 32 bytes. */
export const hashList: Field<Uint8Array> = {
  minSize: 4,
  read: (r) => {
    const n = r.u32('hash count');
    if (n * HASH_SIZE > r.remaining) invalid(`hash count ${n} exceeds the payload`, r.frameType);
    return r.bytesView(n * HASH_SIZE, 'hashes');
  },
  write: (w, v) => {
    if (v.length % HASH_SIZE !== 0) invalid(`hash list length ${v.length} is not a multiple of ${HASH_SIZE}`);
    w.u32(v.length / HASH_SIZE);
    w.bytes(v);
  },
};

/** `count u32 LE` then count × item. */
export function list<T>(item: Field<T>): Field<T[]> {
  return {
    minSize: 4,
    read: (r) => {
      const n = r.u32('count');
      if (n * item.minSize > r.remaining) invalid(`count ${n} exceeds the payload`, r.frameType);
      const out = new Array<T>(n);
      for (let i = 0; i < n; i++) out[i] = item.read(r);
      return out;
    },
    write: (w, v) => {
      w.u32(v.length);
      for (const x of v) item.write(w, x);
    },
  };
}

export function struct<F extends Fields>(fields: F): Field<StructOf<F>> {
  const entries = Object.entries(fields);
  return {
    minSize: entries.reduce((sum, [, f]) => sum + f.minSize, 0),
    read: (r) => {
      const out: Record<string, unknown> = {};
      for (const [key, f] of entries) out[key] = f.read(r);
      return out as StructOf<F>;
    },
    write: (w, v) => {
      for (const [key, f] of entries) f.write(w, (v as Record<string, unknown>)[key]);
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

/** The rest of the payload as one msgpack value, validated by a zod schema. */
export function msgpack<S extends z.ZodType>(schema: S): Field<z.output<S>> {
  return {
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
      const parsed = schema.safeParse(value);
      if (!parsed.success) schemaError(r.frameType, 'msgpack payload', parsed.error.issues);
      return parsed.data;
    },
    write: (w, v) => {
      const parsed = schema.safeParse(v);
      if (!parsed.success) schemaError(0, 'msgpack payload', parsed.error.issues);
      w.bytes(packr.pack(parsed.data));
    },
  };
}

/**
 * The rest of the payload as UTF-8 JSON (the V2 dialect's choice), validated by a zod schema over the wire form
 * and mapped to and from the TypeScript form.
 */
export function json<S extends z.ZodType, T>(
  schema: S,
  fromWire: (wire: z.output<S>) => T,
  toWire: (value: T) => z.input<S>,
): Field<T> {
  return {
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
      const parsed = schema.safeParse(value);
      if (!parsed.success) schemaError(r.frameType, 'JSON payload', parsed.error.issues);
      return fromWire(parsed.data);
    },
    write: (w, v) => {
      // Validated on the way out too, so we never write what a conforming decoder (ours or native/) rejects.
      const parsed = schema.safeParse(toWire(v));
      if (!parsed.success) schemaError(0, 'JSON payload', parsed.error.issues);
      w.utf8(JSON.stringify(parsed.data));
    },
  };
}

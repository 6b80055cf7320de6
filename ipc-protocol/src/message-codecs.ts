// One encoder and one decoder per message type, built once when the module loads. Most come from the catalogue's
// compiled layouts (fields.ts struct()). The per-transaction messages, the hottest by far, get straight-line code:
// one object literal per decode (a single hidden class, no per-field steps). Each declares the layout it implements
// and is checked here, at load, against the catalogue's, so the two cannot drift; tests/unit/ipc-protocol also
// compares both paths on samples and random values. Internal: codec.ts is the public face.
import type { ByteReader, ByteWriter } from './bytes.ts';
import {
  catalogue,
  entryById,
  MESSAGE_NAMES,
  type CatalogueEntry,
  type Message,
  type MessageName,
  type MessageOf,
} from './catalogue.ts';
import { HASH_SIZE } from './constants.ts';
import { writeHash, type StructField } from './fields.ts';

export interface MessageCodec {
  readonly entry: CatalogueEntry;
  /** Reads a payload into a message whose first property is `type`; the caller checks the reader is at its end. */
  decode(r: ByteReader): Message;
  encode(w: ByteWriter, msg: Message): void;
}

/** Ids are u32 on the wire but the catalogue's fit in a byte (1..199): a dense array beats a Map here. */
const ID_TABLE_SIZE = 256;

/** The codec derived from the catalogue layout alone. */
export function layoutCodec(entry: CatalogueEntry): MessageCodec {
  const layout = entry.layout as StructField<Record<string, unknown>>;
  const type = entry.name;
  return {
    entry,
    decode: (r) => {
      const msg: Record<string, unknown> = { type };
      layout.readInto(r, msg);
      return msg as unknown as Message;
    },
    encode: (w, msg) => layout.write(w, msg as unknown as Record<string, unknown>),
  };
}

interface Lean<K extends MessageName> {
  /** The layout this code implements, as fields.ts `shape` spells it. */
  shape: string;
  decode(r: ByteReader): MessageOf<K>;
  encode(w: ByteWriter, msg: MessageOf<K>): void;
}

const lean: { [K in MessageName]?: Lean<K> } = {
  SUBMIT_TX: {
    shape: '{fee:i64,numOps:u32,tx:rest}',
    decode: (r) => ({ type: 'SUBMIT_TX', fee: r.i64('fee'), numOps: r.u32('numOps'), tx: r.rest() }),
    encode: (w, m) => {
      w.i64(m.fee, 'fee');
      w.u32(m.numOps, 'numOps');
      w.bytes(m.tx);
    },
  },
  SUBMIT_TX_CHECKED: {
    shape: '{requestId:u64,tx:rest}',
    decode: (r) => ({ type: 'SUBMIT_TX_CHECKED', requestId: r.u64('requestId'), tx: r.rest() }),
    encode: (w, m) => {
      w.u64(m.requestId, 'requestId');
      w.bytes(m.tx);
    },
  },
  TX_VERDICT: {
    shape: '{requestId:u64,verdict:{status:u8,reason:u8,hash:hash}}',
    decode: (r) => {
      const requestId = r.u64('requestId');
      const verdict = { status: r.u8('status'), reason: r.u8('reason'), hash: r.bytesView(HASH_SIZE, 'hash') };
      return { type: 'TX_VERDICT', requestId, verdict };
    },
    encode: (w, m) => {
      const v = m.verdict;
      w.u64(m.requestId, 'requestId');
      w.u8(v.status, 'status');
      w.u8(v.reason, 'reason');
      writeHash(w, v.hash);
    },
  },
};

function leanCodec(entry: CatalogueEntry, l: Lean<MessageName>): MessageCodec {
  if (l.shape !== entry.layout.shape) {
    throw new Error(`straight-line codec of ${entry.name} implements ${l.shape}, the catalogue says ${entry.layout.shape}`);
  }
  return {
    entry,
    decode: l.decode as (r: ByteReader) => Message,
    encode: l.encode as (w: ByteWriter, msg: Message) => void,
  };
}

const codecsById = new Array<MessageCodec | undefined>(ID_TABLE_SIZE).fill(undefined);
const codecsByName = new Map<MessageName, MessageCodec>();

for (const name of MESSAGE_NAMES) {
  const entry = entryById(catalogue[name].id)!;
  if (entry.id >= ID_TABLE_SIZE) throw new Error(`message id ${entry.id} outside the codec table`);
  const l = lean[name] as Lean<MessageName> | undefined;
  const codec = l === undefined ? layoutCodec(entry) : leanCodec(entry, l);
  codecsById[entry.id] = codec;
  codecsByName.set(name, codec);
}

/** Messages with straight-line codecs (for the tests that compare them with the layout's). */
export const LEAN_MESSAGES = Object.keys(lean) as MessageName[];

export function codecById(id: number): MessageCodec | undefined {
  return id < ID_TABLE_SIZE ? codecsById[id] : undefined;
}

export function codecByName(name: MessageName): MessageCodec | undefined {
  return codecsByName.get(name);
}

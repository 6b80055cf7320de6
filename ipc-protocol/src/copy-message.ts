// Owned copies of decoded messages. A decoded message's binary fields are views of the receive buffer, valid while
// its handler runs (docs/ipc-protocol.md §3). A receiver that must keep a whole message beyond that — a session
// holding core's first frames while the overlay decides its network — takes a copy with bytes of its own.
import type { Message } from './catalogue.ts';

/** A deep copy of `msg` in which every binary field is a fresh plain Uint8Array (never a view, never a Buffer). */
export function copyMessage<M extends Message>(msg: M): M {
  return copyValue(msg) as M;
}

function copyValue(v: unknown): unknown {
  // new Uint8Array(view) copies; Buffer's slice() would not (it is subarray).
  if (v instanceof Uint8Array) return new Uint8Array(v);
  if (Array.isArray(v)) return v.map(copyValue);
  if (typeof v === 'object' && v !== null) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v)) out[k] = copyValue((v as Record<string, unknown>)[k]);
    return out;
  }
  return v; // numbers, bigints, strings, booleans
}

// The value SCP agrees on: stellar-core's StellarValue {txSetHash, closeTime, upgrades: [], ext: basic}, as XDR.
import { xdr } from '@stellar/stellar-base';

/** stellar-core: MAX_TIME_SLIP_SECONDS, how far in the future a close time may be. */
export const MAX_TIME_SLIP_SECONDS = 60;

export interface Value {
  txSetHash: Buffer;
  /** Seconds since the Unix epoch. */
  closeTime: number;
}

export function encodeValue(v: Value): Buffer {
  return new xdr.StellarValue({
    txSetHash: v.txSetHash,
    closeTime: xdr.Uint64.fromString(String(v.closeTime)),
    upgrades: [],
    ext: xdr.StellarValueExt.stellarValueBasic(),
  }).toXDR();
}

/** Decodes a value; null when it is not a StellarValue. */
export function decodeValue(bytes: Uint8Array): Value | null {
  try {
    const v = xdr.StellarValue.fromXDR(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    return { txSetHash: v.txSetHash(), closeTime: Number(v.closeTime().toString()) };
  } catch {
    return null;
  }
}

/**
 * The close-time rule. stellar-core wants closeTime > the last ledger's; ledgers here may be shorter than a second,
 * so equal is accepted (ours). Not more than MAX_TIME_SLIP_SECONDS ahead of our clock.
 */
export function closeTimeSane(closeTime: number, lastCloseTime: number, nowSec: number): boolean {
  return closeTime >= lastCloseTime && closeTime <= nowSec + MAX_TIME_SLIP_SECONDS;
}

/** The close time a leader proposes: now, but never before the last ledger's. */
export function nextCloseTime(lastCloseTime: number, nowMs: number): number {
  return Math.max(lastCloseTime, Math.floor(nowMs / 1000));
}

// The reference core's HTTP API (core-bridge/src/reference-core/http-api.ts) as tests read it. Reads answer null
// when the core does not answer in time or has no answer yet (a restarting core, a ledger not closed), so they can
// be polled with waitFor.
import type { LedgerInfo, TxResult } from '../../core-bridge/src/reference-core/reference-core.ts';

/** A read gets this long before it counts as "no answer" (a core restarting under the supervisor). */
const READ_TIMEOUT_MS = 2000;

export interface SubmitVerdict {
  status: string;
  hash: string;
}

/** POST /tx with the tx's XDR. */
export async function postTx(url: string, tx: Uint8Array): Promise<SubmitVerdict> {
  const res = await fetch(`${url}/tx`, { method: 'POST', body: Buffer.from(tx), headers: { 'content-type': 'application/octet-stream' } });
  return (await res.json()) as SubmitVerdict;
}

async function read<T>(url: string): Promise<T | null> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(READ_TIMEOUT_MS) });
    return res.ok ? ((await res.json()) as T) : null;
  } catch {
    return null;
  }
}

/** What became of a tx (GET /tx/:hash); null while it is in no ledger. */
export function txResult(url: string, hash: string): Promise<TxResult | null> {
  return read<TxResult>(`${url}/tx/${hash}`);
}

/** The hash of closed ledger `seq` (GET /ledger/:seq); null if not closed (or no longer among the recent ones). */
export async function ledgerHash(url: string, seq: number): Promise<string | null> {
  return (await read<{ hash: string }>(`${url}/ledger/${seq}`))?.hash ?? null;
}

/** The last closed ledger and the consensus round of the next (GET /ledger). */
export function ledgerInfo(url: string): Promise<LedgerInfo | null> {
  return read<LedgerInfo>(`${url}/ledger`);
}

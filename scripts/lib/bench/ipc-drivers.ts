// What the IPC benchmark does through core-bridge's OverlayClient: pipelined tx submission counted by verdicts,
// SCP envelopes from one core to another through two overlays with a bounded number in flight, and one-at-a-time
// request/response round trips.
import type { OverlayClient } from '../../../core-bridge/src/client/overlay-client.ts';

export interface SubmitRun {
  /** From the first SUBMIT_TX_BATCH to the last verdict. */
  ms: number;
  accepted: number;
  /** Verdict counts by "STATUS/REASON". */
  verdicts: Record<string, number>;
}

/** Submits `txs` in SUBMIT_TX_BATCH requests of `batch`, with at most `window` requests awaiting verdicts. */
export async function submitPipelined(
  client: OverlayClient,
  txs: readonly Uint8Array[],
  o: { batch: number; window: number },
): Promise<SubmitRun> {
  const verdicts: Record<string, number> = {};
  let accepted = 0;
  let next = 0;
  const t0 = performance.now();
  const lane = async (): Promise<void> => {
    while (next < txs.length) {
      const chunk = txs.slice(next, next + o.batch);
      next += chunk.length;
      for (const v of await client.submitTxBatch(chunk)) {
        if (v.status === 'ACCEPTED') accepted++;
        const k = `${v.status}/${v.reason}`;
        verdicts[k] = (verdicts[k] ?? 0) + 1;
      }
    }
  };
  await Promise.all(Array.from({ length: o.window }, lane));
  return { ms: performance.now() - t0, accepted, verdicts };
}

export interface ScpRun {
  /** From the first BROADCAST_SCP to the last SCP_RECEIVED at the other core. */
  ms: number;
  sent: number;
  delivered: number;
}

/**
 * Broadcasts `envelopes` (distinct) from `from`'s core and counts SCP_RECEIVED at `to`'s core, keeping at most
 * `window` sent and not yet delivered (gossipsub has no backpressure: unbounded, it would drop, not slow down).
 * Gives up when nothing arrives for `stallMs` (envelopes lost on the way).
 */
export function scpThroughput(
  from: OverlayClient,
  to: OverlayClient,
  envelopes: readonly Uint8Array[],
  o: { window: number; stallMs: number },
): Promise<ScpRun> {
  let sent = 0;
  let delivered = 0;
  const t0 = performance.now();
  let last = t0;
  return new Promise((resolve) => {
    const finish = () => {
      clearTimeout(stall);
      to.off('scp', onScp);
      resolve({ ms: last - t0, sent, delivered });
    };
    const fill = () => {
      while (sent < envelopes.length && sent - delivered < o.window) from.broadcastScp(envelopes[sent++]!);
    };
    const onScp = () => {
      last = performance.now();
      stall.refresh();
      if (++delivered === envelopes.length) finish();
      else fill();
    };
    const stall = setTimeout(finish, o.stallMs);
    to.on('scp', onScp);
    fill();
  });
}

/** `count` calls of `request` one after the other; each one's time in µs. */
export async function roundTrips(request: () => Promise<unknown>, count: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    await request();
    out.push((performance.now() - t0) * 1000);
  }
  return out;
}

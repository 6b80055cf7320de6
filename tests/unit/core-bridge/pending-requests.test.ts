import { expect } from 'chai';
import { PendingRequests, type PendingRequest } from '../../../core-bridge/src/client/pending-requests.ts';
import { OverlayClientError } from '../../../core-bridge/src/client/errors.ts';

const req = (over: Partial<Parameters<PendingRequests['add']>[0]> = {}) => ({
  type: 'GET_STATS',
  expect: 'STATS_REPLY' as const,
  encode: (id: bigint) => Buffer.from(id.toString()),
  timeoutMs: 10_000,
  ...over,
});

const stats = (requestId: bigint) =>
  ({
    type: 'STATS_REPLY',
    requestId,
    stats: { uptimeSec: 1, lastLedgerSeq: 0, peersInbound: 0, peersOutbound: 0, mempoolTxs: 0, mempoolBytes: 0, txsReceived: 0, txsFlooded: 0, scpReceived: 0, scpBroadcast: 0 },
  }) as const;

async function rejection(p: Promise<unknown>): Promise<OverlayClientError> {
  try {
    await p;
  } catch (err) {
    return err as OverlayClientError;
  }
  throw new Error('expected a rejection');
}

describe('PendingRequests', () => {
  it('gives fresh ids from 1 and settles a request by its id, once', async () => {
    const removed: string[] = [];
    const t = new PendingRequests(10, (_r, outcome) => removed.push(outcome));
    const a = t.add(req());
    const b = t.add(req());
    expect([a.pending.id, b.pending.id]).to.deep.equal([1n, 2n]);
    expect(a.pending.frame.toString()).to.equal('1');
    expect(t.answer(2n, stats(2n))).to.equal(true);
    expect(t.answer(2n, stats(2n))).to.equal(false); // a late duplicate
    expect(((await b.reply) as { requestId: bigint }).requestId).to.equal(2n);
    expect([t.size, removed]).to.deep.equal([1, ['reply']]);
    t.failAll(() => new OverlayClientError('CLIENT_CLOSED', 'x'), 'closed');
    expect((await rejection(a.reply)).code).to.equal('CLIENT_CLOSED');
  });

  it('fails a request answered by the wrong reply type', async () => {
    const t = new PendingRequests(10, () => {});
    const a = t.add(req({ expect: 'PEERS_REPLY' }));
    t.answer(a.pending.id, stats(a.pending.id));
    expect((await rejection(a.reply)).code).to.equal('PROTOCOL_STATE');
    expect(t.size).to.equal(0);
  });

  it('is bounded: a clear TOO_MANY_PENDING beyond capacity, and the slot is free again after a reply', () => {
    const t = new PendingRequests(2, () => {});
    const a = t.add(req());
    t.add(req());
    expect(() => t.add(req())).to.throw(OverlayClientError).with.property('code', 'TOO_MANY_PENDING');
    t.answer(a.pending.id, stats(a.pending.id));
    expect(() => t.add(req())).to.not.throw();
  });

  it('times out, freeing the slot', async () => {
    const seen: PendingRequest[] = [];
    const t = new PendingRequests(1, (r, outcome) => outcome === 'timeout' && seen.push(r));
    const a = t.add(req({ timeoutMs: 20 }));
    const err = await rejection(a.reply);
    expect([err.code, err.remote, t.size, seen.length]).to.deep.equal(['TIMEOUT', false, 0, 1]);
  });

  it('rejects on abort (and at once when already aborted), freeing the slot', async () => {
    const t = new PendingRequests(1, () => {});
    const ac = new AbortController();
    const a = t.add(req({ signal: ac.signal }));
    ac.abort(new Error('changed my mind'));
    const err = await rejection(a.reply);
    expect([err.code, (err.cause as Error).message, t.size]).to.deep.equal(['ABORTED', 'changed my mind', 0]);
    expect(() => t.add(req({ signal: ac.signal }))).to.throw(OverlayClientError).with.property('code', 'ABORTED');
    expect(t.size).to.equal(0);
  });
});

// The router: handlers by frame type, SUBMIT_TX in either form, and failures turned into ERROR frames with the
// request's id (docs/ipc-protocol.md §6). Real CoreSessions on real sockets (helpers.ts).
import { expect } from 'chai';
import { ErrorCode, MsgType } from '#ipc-protocol';
import { createRouter, type Routes } from '../../../overlay/src/ipc/router.ts';
import { OverlayError } from '../../../overlay/src/util/errors.ts';
import { createLogger } from '../../../overlay/src/util/log.ts';
import { hello, sessionWith, waitFor, type Harness } from './helpers.ts';

const log = createLogger('test', 'error', () => {});
const tx = (n: number) => Buffer.alloc(16, n);

describe('ipc router', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('routes by frame type, with or without the type given', async () => {
    const seen: string[] = [];
    const router = createRouter({ LEDGER_CLOSED: (m) => void seen.push(`closed ${m.ledgerSeq}`) }, log);
    h = await sessionWith(router);
    h.core.send({ type: 'LEDGER_CLOSED', ledgerSeq: 5, ledgerHash: Buffer.alloc(32) });
    await waitFor('routed', () => seen.length === 1);
    router({ type: 'LEDGER_CLOSED', ledgerSeq: 6, ledgerHash: Buffer.alloc(32) }, h.session);
    expect(seen).to.deep.equal(['closed 5', 'closed 6']);
  });

  it('serves SUBMIT_TX as fields with a submitTx route, and SUBMIT_TX messages through it too', async () => {
    const got: [string, number, number | bigint][] = [];
    const router = createRouter({ submitTx: (t, numOps, fee) => void got.push([Buffer.from(t).toString('hex'), numOps, fee]) }, log);
    h = await sessionWith(router);
    h.core.send({ type: 'LEDGER_CLOSED', ledgerSeq: 1, ledgerHash: Buffer.alloc(32) }); // V2 decided
    h.core.send({ type: 'SUBMIT_TX', fee: 100n, numOps: 1, tx: tx(1) });
    await waitFor('the fields', () => got.length === 1);
    router({ type: 'SUBMIT_TX', fee: 7n, numOps: 2, tx: tx(2) }, h.session, MsgType.SUBMIT_TX);
    expect(got).to.deep.equal([
      [tx(1).toString('hex'), 1, 100],
      [tx(2).toString('hex'), 2, 7n],
    ]);
  });

  it('serves SUBMIT_TX as fields through a route that takes the message (fee as a bigint)', async () => {
    const got: unknown[] = [];
    const router = createRouter({ SUBMIT_TX: (m) => void got.push(m) }, log);
    h = await sessionWith(router);
    router.submitTx(tx(3), 4, 12, h.session);
    expect(got).to.deep.equal([{ type: 'SUBMIT_TX', fee: 12n, numOps: 4, tx: tx(3) }]);
  });

  it('answers a message without a route INVALID_REQUEST, with its request id and type', async () => {
    h = await sessionWith(createRouter({}, log));
    await hello(h.core);
    h.core.send({ type: 'GET_PEERS', requestId: 11n });
    const err = await h.core.next('ERROR');
    expect([err.requestId, err.error.code, err.error.refType]).to.deep.equal([11n, ErrorCode.INVALID_REQUEST, MsgType.GET_PEERS]);
    expect(err.error.message).to.match(/GET_PEERS is not supported/);
  });

  it("turns a handler's typed failure into its wire code and anything else into INTERNAL, sync or async", async () => {
    const routes: Routes = {
      FETCH_TX_SET: async () => {
        throw new OverlayError('NOT_FOUND', 'no such tx set');
      },
      GET_PEERS: () => {
        throw new OverlayError('BUSY', 'later');
      },
      GET_STATS: () => {
        throw new Error('bug');
      },
    };
    h = await sessionWith(createRouter(routes, log));
    await hello(h.core);
    h.core.send({ type: 'FETCH_TX_SET', requestId: 1n, hash: Buffer.alloc(32) });
    h.core.send({ type: 'GET_PEERS', requestId: 2n });
    h.core.send({ type: 'GET_STATS', requestId: 3n });
    const codes = new Map<bigint, [number, number]>();
    for (let i = 0; i < 3; i++) {
      const e = await h.core.next('ERROR');
      codes.set(e.requestId, [e.error.code, e.error.refType]);
    }
    expect(codes.get(1n)).to.deep.equal([ErrorCode.NOT_FOUND, MsgType.FETCH_TX_SET]);
    expect(codes.get(2n)).to.deep.equal([ErrorCode.BUSY, MsgType.GET_PEERS]);
    expect(codes.get(3n)).to.deep.equal([ErrorCode.INTERNAL, MsgType.GET_STATS]);
  });

  it('answers a failing submitTx route INTERNAL (request id 0) to an extension core', async () => {
    h = await sessionWith(
      createRouter(
        {
          submitTx: () => {
            throw new Error('intake down');
          },
        },
        log,
      ),
    );
    await hello(h.core);
    h.core.send({ type: 'SUBMIT_TX', fee: 1n, numOps: 1, tx: tx(1) });
    const err = await h.core.next('ERROR');
    expect([err.requestId, err.error.code, err.error.refType]).to.deep.equal([0n, ErrorCode.INTERNAL, MsgType.SUBMIT_TX]);
  });
});

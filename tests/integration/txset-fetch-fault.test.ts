// A peer killed during a tx-set fetch. Overlay x is asked by its core for a tx set that only overlay y holds. x's
// first candidate is a third peer whose SCP envelope named the set (a hint): a raw libp2p peer in a child process
// that takes x's request, never answers, and is then SIGKILLed, the way a validator crashes mid-request. x must
// notice the dead connection and get the set from y. x's per-peer timeout is set far above how long the test waits
// for the reply, so the set can only arrive in time if x moved on because the peer died, not because it timed out.
import { expect } from 'chai';
import { Keypair } from '@stellar/stellar-base';
import { networkIdOf, TxStatus } from '#ipc-protocol';
import { ScpSigner } from '../../core-bridge/src/scp/envelopes.ts';
import { encodeValue } from '../../core-bridge/src/reference-core/stellar-value.ts';
import { toHex } from '../../overlay/src/util/bytes.ts';
import { makePayment, testKeypair } from '../fixtures/txs.ts';
import { metric, startOverlay, type OverlayProcess } from '../helpers/overlay-process.ts';
import { peerKeys } from '../helpers/overlay-admin.ts';
import { RawCore, TESTNET } from '../helpers/raw-core.ts';
import { RawPeerProcess } from '../helpers/raw-peer-process.ts';
import { waitFor } from '../helpers/wait.ts';

/** x's per-peer tx-set timeout and overall deadline: far above REPLY_WAIT_MS (see the header). */
const PEER_TIMEOUT_MS = 60_000;
const FETCH_DEADLINE_MS = 120_000;
/** How long the test waits for the set once the stuck peer is dead. */
const REPLY_WAIT_MS = 20_000;
/** How often a fresh envelope naming the set is published until x has delivered one to its core. */
const PUBLISH_EVERY_MS = 200;

describe('tx-set fetch with the first candidate peer SIGKILLed mid-request (real processes; the peer is a child process)', function () {
  this.timeout(120_000);
  let x: OverlayProcess;
  let y: OverlayProcess;
  let cx: RawCore;
  let cy: RawCore;
  let rid = 1n;
  let nextKey = 1000;
  const signer = new ScpSigner(Keypair.random().secret(), networkIdOf(TESTNET));
  let slot = 100n;

  before(async () => {
    x = await startOverlay({ toml: `[tx_sets]\npeer_timeout_ms = ${PEER_TIMEOUT_MS}\nfetch_deadline_ms = ${FETCH_DEADLINE_MS}` });
    y = await startOverlay({ knownPeers: [x.address] });
    cx = await RawCore.hello(x.socketPath);
    cy = await RawCore.hello(y.socketPath);
    await waitFor('x and y connected', async () => (await peerKeys(x.adminUrl)).includes(y.nodeKey));
  });

  after(async () => {
    await RawPeerProcess.killAll();
    cx?.close();
    cy?.close();
    await Promise.all([x?.stop(), y?.stop()]);
  });

  /** y builds a set of a few fresh txs (x gets the txs by flooding, never the set). */
  async function setOnlyYHas(): Promise<{ hash: Uint8Array; txSet: Uint8Array }> {
    for (let i = 0; i < 3; i++) {
      const requestId = rid++;
      cy.send({ type: 'SUBMIT_TX_CHECKED', requestId, tx: makePayment({ source: testKeypair(nextKey++), seq: 1n }) });
      expect((await cy.next('TX_VERDICT', (m) => m.requestId === requestId)).verdict.status).to.equal(TxStatus.ACCEPTED);
    }
    const requestId = rid++;
    cy.send({ type: 'BUILD_TX_SET', requestId, ledgerSeq: 2, previousLedgerHash: Buffer.alloc(32, nextKey % 256), maxOps: 1000, maxBytes: 1 << 20 });
    return cy.next('TX_SET_BUILT', (m) => m.requestId === requestId);
  }

  /**
   * A raw peer connected to x that named `hash` in a signed SCP envelope x delivered to its core (so x's tx-set
   * fetcher asks it first), and that takes tx-set requests without ever answering.
   */
  async function stuckPeerNaming(hash: Uint8Array): Promise<RawPeerProcess> {
    const stuck = await RawPeerProcess.start(TESTNET);
    await stuck.holdTxSetRequests();
    await stuck.connect(x);
    const value = encodeValue({ txSetHash: Buffer.from(hash), closeTime: Math.floor(Date.now() / 1000) });
    const qsetHash = Buffer.alloc(32, 7);
    const before = cx.count('SCP_RECEIVED');
    // Until gossipsub's streams are up a publication reaches nobody: publish fresh envelopes until one arrives.
    await waitFor('x delivered an envelope of the stuck peer naming the set', async () => {
      await stuck.publishScp(signer.externalize(slot++, value, qsetHash));
      return cx.count('SCP_RECEIVED') > before;
    }, 20_000, PUBLISH_EVERY_MS);
    return stuck;
  }

  async function counts() {
    return {
      errors: await metric(x, /^overlay_txset_peer_replies_total\{outcome="error"\}/),
      sets: await metric(x, /^overlay_txset_peer_replies_total\{outcome="tx_set"\}/),
      fetched: await metric(x, /^overlay_txset_fetches_total\{outcome="fetched"\}/),
      servedByY: await metric(y, /^overlay_txset_served_total\{outcome="found"\}/),
    };
  }

  /** Asks x for the set, waits until the stuck peer holds x's request, kills it, and returns what x delivers. */
  async function fetchThroughDeadPeer(ask: (hash: Uint8Array) => Promise<Uint8Array>, hash: Uint8Array, stuck: RawPeerProcess) {
    const reply = ask(hash);
    reply.catch(() => {}); // awaited below; a failure before then must not be unhandled
    try {
      await waitFor('x to ask the stuck peer first', () => stuck.txSetRequests.includes(toHex(hash)));
    } finally {
      await stuck.kill('SIGKILL');
    }
    return reply;
  }

  for (const variant of ['FETCH_TX_SET', 'REQUEST_TX_SET'] as const) {
    it(`${variant}: the set comes from the other peer, well before the per-peer timeout`, async () => {
      const built = await setOnlyYHas();
      const stuck = await stuckPeerNaming(built.hash);
      const before = await counts();
      const ask = async (hash: Uint8Array): Promise<Uint8Array> => {
        if (variant === 'FETCH_TX_SET') {
          const requestId = rid++;
          cx.send({ type: 'FETCH_TX_SET', requestId, hash });
          return (await cx.next('TX_SET_REPLY', (m) => m.requestId === requestId, REPLY_WAIT_MS)).txSet;
        }
        // Overlay V2's request: no request id, the answer is TX_SET_AVAILABLE for the hash.
        cx.send({ type: 'REQUEST_TX_SET', hash });
        return (await cx.next('TX_SET_AVAILABLE', (m) => Buffer.from(m.hash).equals(Buffer.from(hash)), REPLY_WAIT_MS)).txSet;
      };
      const txSet = await fetchThroughDeadPeer(ask, built.hash, stuck);
      expect(Buffer.from(txSet)).to.deep.equal(Buffer.from(built.txSet));
      const after = await counts();
      // The stuck peer's request failed (its connection died), then y answered with the set, once.
      expect(after.errors - before.errors, 'failed asks').to.be.at.least(1);
      expect(after.sets - before.sets, 'sets received').to.equal(1);
      expect(after.fetched - before.fetched, 'fetches for core').to.equal(1);
      expect(after.servedByY - before.servedByY, 'sets y served').to.equal(1);
      expect(cx.received.some((m) => m.type === 'ERROR'), 'errors sent to core').to.equal(false);
    });
  }
});

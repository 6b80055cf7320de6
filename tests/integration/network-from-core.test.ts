// An overlay started without a network passphrase lets its first core name the network: HELLO carries the
// network id, which the overlay adopts before it starts libp2p (a V2 core, with no HELLO, means the test network:
// peers.test.ts launches two overlays with the V2 launch line). Real processes, real sockets.
import { expect } from 'chai';
import { Keypair } from '@stellar/stellar-base';
import { ErrorCode, TxReason, TxStatus, localHello, networkIdOf } from '#ipc-protocol';
import { makePayment } from '../fixtures/txs.ts';
import { getJson, startOverlay, type OverlayProcess } from '../helpers/overlay-process.ts';
import { RawCore, TESTNET } from '../helpers/raw-core.ts';
import { waitFor } from '../helpers/wait.ts';

/** A network no well-known passphrase names: the overlay can only know it from core. */
const NETWORK = 'overlay-sidecar test network ; named by core';
const NETWORK_ID_HEX = Buffer.from(networkIdOf(NETWORK)).toString('hex');

interface Info {
  network: string | null;
  networkId: string | null;
  networkSource: string | null;
}

const peersOf = (o: OverlayProcess) => getJson<{ nodeKey: string }[]>(`${o.adminUrl}/peers`);

describe('the network named by core (real processes)', function () {
  this.timeout(60_000);
  let a: OverlayProcess;
  let b: OverlayProcess;
  let coreA: RawCore;
  let coreB: RawCore;

  before(async () => {
    a = await startOverlay({ network: null });
    b = await startOverlay({ network: null, knownPeers: [a.address] });
  });
  after(async () => {
    coreA?.close();
    coreB?.close();
    await Promise.all([a?.stop(), b?.stop()]);
  });

  it('waits for core before joining any network', async () => {
    expect(await getJson<Info>(`${a.adminUrl}/info`)).to.include({ network: null, networkId: null, networkSource: null });
    expect(await peersOf(b)).to.deep.equal([]);
    expect(a.logged(/waiting for core to name the network/)).to.equal(true);
  });

  it("adopts the network core's HELLO names: peers meet on it and txs are checked against it", async () => {
    coreA = await RawCore.hello(a.socketPath, NETWORK);
    coreB = await RawCore.hello(b.socketPath, NETWORK);
    const info = await getJson<Info>(`${a.adminUrl}/info`);
    expect(info).to.include({ network: NETWORK_ID_HEX, networkId: NETWORK_ID_HEX, networkSource: 'core-hello' });
    await waitFor('a and b connected', async () => (await peersOf(b)).some((p) => p.nodeKey === a.nodeKey));

    const ours = makePayment({ source: Keypair.random(), seq: 1n, networkPassphrase: NETWORK });
    expect(await coreA.submitChecked(ours)).to.include({ status: TxStatus.ACCEPTED });
    const testnets = makePayment({ source: Keypair.random(), seq: 1n, networkPassphrase: TESTNET });
    expect(await coreA.submitChecked(testnets)).to.include({ status: TxStatus.INVALID, reason: TxReason.WRONG_NETWORK });
    await waitFor('the tx flooded to b', () => coreB.holds(ours));
  });

  it('refuses a later core that names another network, and serves the next right one', async () => {
    coreA.close();
    await waitFor('first core gone', async () => (await getJson<{ coreConnected: boolean }>(`${a.adminUrl}/info`)).coreConnected === false);
    const stranger = await RawCore.connect(a.socketPath);
    stranger.send({ type: 'HELLO', hello: localHello('test', networkIdOf(TESTNET)) });
    expect((await stranger.next('ERROR')).error.code).to.equal(ErrorCode.NETWORK_MISMATCH);
    await waitFor('stranger closed', () => stranger.closed);
    coreA = await RawCore.hello(a.socketPath, NETWORK);
    expect((await getJson<Info>(`${a.adminUrl}/info`)).networkSource).to.equal('core-hello');
  });
});

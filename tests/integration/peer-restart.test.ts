// A peer killed and restarted on the same key and port (QUIC leaves the old connection open until its idle timeout):
// its neighbour resets the stale connection, so SCP flows to the restarted peer again.
import { createHash } from 'node:crypto';
import { networkIdOf } from '#ipc-protocol';
import { ScpSigner } from '../../core-bridge/src/scp/envelopes.ts';
import { getJson, metric, startOverlay } from '../helpers/overlay-process.ts';
import { RawCore, TESTNET } from '../helpers/raw-core.ts';
import { waitFor } from '../helpers/wait.ts';

describe('peer restart (real processes)', function () {
  this.timeout(90_000);

  it('a SIGKILLed peer that comes back gets SCP again', async () => {
    const a = await startOverlay();
    let b = await startOverlay({ knownPeers: [a.address] });
    const ca = await RawCore.hello(a.socketPath);
    try {
      await waitFor('mesh', async () => (await metric(a, /^overlay_scp_mesh_peers /)) >= 1);
      await b.stop('SIGKILL');
      b = await startOverlay({ knownPeers: [a.address], dir: b.dir, seed: b.seed, peerPort: b.peerPort });
      const cb = await RawCore.hello(b.socketPath);
      await waitFor('b reconnected', async () => (await getJson<unknown[]>(`${b.adminUrl}/peers`)).length === 1);
      const signer = new ScpSigner(a.seed, networkIdOf(TESTNET));
      const qset = createHash('sha256').update('qset').digest();
      let slot = 100n;
      // Each poll broadcasts a fresh envelope until one reaches b's core (the mesh re-forms on heartbeats).
      await waitFor('an envelope at the restarted peer', () => {
        ca.send({ type: 'BROADCAST_SCP', envelope: signer.externalize(slot++, Buffer.alloc(32, 1), qset) });
        return cb.count('SCP_RECEIVED') > 0;
      }, 30_000);
      cb.close();
    } finally {
      ca.close();
      await Promise.all([a.stop(), b.stop()]);
    }
  });
});

// SCP over real overlay processes: multi-hop flooding, exactly-once delivery, invalid envelopes stopped at the
// first hop, SCP state request/response and quorum-set fetch between overlays.
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { networkIdOf } from '#ipc-protocol';
import { ScpSigner, quorumSetXdr } from '../../core-bridge/src/scp/envelopes.ts';
import { startOverlay, getJson, type OverlayProcess } from '../helpers/overlay-process.ts';
import { freePeerPort } from '../../scripts/lib/ports.ts';
import { RawCore, TESTNET } from '../helpers/raw-core.ts';
import { waitFor } from '../helpers/wait.ts';

const sameBytes = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));
const qsetHash = createHash('sha256').update('qset').digest();

describe('SCP flooding across a line of 5 overlays (real processes)', function () {
  this.timeout(120_000);
  const overlays: OverlayProcess[] = [];
  const cores: RawCore[] = [];
  let signer: ScpSigner;

  before(async () => {
    const ports = [];
    for (let i = 0; i < 5; i++) ports.push(await freePeerPort());
    // Each node knows only its right-hand neighbour: the line A-B-C-D-E, nothing else.
    for (let i = 0; i < 5; i++) {
      overlays.push(
        await startOverlay({
          peerPort: ports[i],
          knownPeers: i < 4 ? [`127.0.0.1:${ports[i + 1]}`] : [],
          p2p: { target_outbound: 1, max_inbound: 1 },
        }),
      );
    }
    for (const o of overlays) cores.push(await RawCore.hello(o.socketPath));
    for (let i = 0; i < 5; i++) {
      const expected = i === 0 || i === 4 ? 1 : 2;
      await waitFor(`node ${i} to have ${expected} peer(s)`, async () => (await getJson<unknown[]>(`${overlays[i]!.adminUrl}/peers`)).length === expected);
    }
    // Relays forward at once only to their gossipsub mesh, which forms on heartbeats: wait for it, as a validator
    // joining a network would before its first ledger.
    for (let i = 0; i < 5; i++) {
      const expected = i === 0 || i === 4 ? 1 : 2;
      await waitFor(`node ${i} mesh`, async () => {
        const text = await (await fetch(`${overlays[i]!.adminUrl}/metrics`)).text();
        return new RegExp(`^overlay_scp_mesh_peers ${expected}$`, 'm').test(text);
      });
    }
    signer = new ScpSigner(overlays[0]!.seed, networkIdOf(TESTNET));
  });

  after(async () => {
    for (const c of cores) c.close();
    await Promise.all(overlays.map((o) => o.stop()));
  });

  it('delivers an envelope from one end to every core, exactly once each', async () => {
    const env = signer.externalize(7n, Buffer.alloc(32, 7), qsetHash);
    cores[0]!.send({ type: 'BROADCAST_SCP', envelope: env });
    await waitFor('envelope at the far end', () =>
      cores[4]!.received.some((m) => m.type === 'SCP_RECEIVED' && sameBytes(m.envelope, env)),
    30_000);
    // A later envelope overtakes nothing: once it is everywhere, the first one has had every chance to repeat.
    const marker = signer.externalize(8n, Buffer.alloc(32, 8), qsetHash);
    cores[0]!.send({ type: 'BROADCAST_SCP', envelope: marker });
    for (let i = 1; i < 5; i++) {
      await cores[i]!.next('SCP_RECEIVED', (m) => sameBytes(m.envelope, marker));
      const copies = cores[i]!.received.filter((m) => m.type === 'SCP_RECEIVED' && sameBytes(m.envelope, env));
      expect(copies, `node ${i}`).to.have.length(1);
    }
    expect(cores[0]!.count('SCP_RECEIVED')).to.equal(0); // never echoed back to its author
  });

  it('stops an envelope with a bad signature at the first hop', async () => {
    const bad = Buffer.from(signer.externalize(9n, Buffer.alloc(32, 9), qsetHash));
    bad[bad.length - 1]! ^= 0xff;
    cores[0]!.send({ type: 'BROADCAST_SCP', envelope: bad });
    const good = signer.externalize(10n, Buffer.alloc(32, 10), qsetHash);
    cores[0]!.send({ type: 'BROADCAST_SCP', envelope: good });
    await cores[1]!.next('SCP_RECEIVED', (m) => sameBytes(m.envelope, good));
    expect(cores[1]!.received.some((m) => m.type === 'SCP_RECEIVED' && sameBytes(m.envelope, bad))).to.equal(false);
    const metrics = await (await fetch(`${overlays[1]!.adminUrl}/metrics`)).text();
    expect(metrics).to.match(/overlay_scp_envelopes_received_total\{outcome="bad_signature"\} [1-9]/);
  });

  it('round-trips an SCP state request through the neighbour’s core', async () => {
    const fromB = new ScpSigner(overlays[1]!.seed, networkIdOf(TESTNET)).externalize(20n, Buffer.alloc(32, 20), qsetHash);
    cores[0]!.send({ type: 'REQUEST_SCP_STATE', ledgerSeq: 20 });
    const ask = await cores[1]!.next('PEER_REQUESTS_SCP_STATE');
    expect(ask.ledgerSeq).to.equal(20);
    cores[1]!.send({ type: 'SCP_STATE_RESPONSE', requestId: ask.requestId, envelopes: [fromB] });
    await cores[0]!.next('SCP_RECEIVED', (m) => sameBytes(m.envelope, fromB));
  });

  it('fetches a quorum set from the peer that has it', async () => {
    const qset = quorumSetXdr(2, overlays.slice(0, 3).map((o) => o.nodeKey));
    const hash = createHash('sha256').update(qset).digest();
    cores[1]!.send({ type: 'CACHE_QUORUM_SET', hash, quorumSet: qset });
    cores[0]!.send({ type: 'FETCH_QUORUM_SET', requestId: 31n, hash });
    const reply = await cores[0]!.next('QUORUM_SET_REPLY');
    expect(reply.requestId).to.equal(31n);
    expect(sameBytes(reply.quorumSet, qset)).to.equal(true);
  });

  it('answers ERROR for a quorum set nobody has', async () => {
    cores[0]!.send({ type: 'FETCH_QUORUM_SET', requestId: 32n, hash: Buffer.alloc(32, 0xee) });
    const err = await cores[0]!.next('ERROR', (e) => e.requestId === 32n);
    expect(err.error.message).to.match(/not found/);
  });

  it('pushes QUORUM_SET_AVAILABLE to a V2 core when an envelope names a set it cannot ask for', async () => {
    // Node 4's core reconnects speaking the V2 dialect (no HELLO, so no FETCH_QUORUM_SET).
    cores[4]!.close();
    await waitFor('node 4 core gone', async () => !(await getJson<{ coreConnected: boolean }>(`${overlays[4]!.adminUrl}/info`)).coreConnected);
    const v2 = await RawCore.connect(overlays[4]!.socketPath);
    cores[4] = v2;
    v2.send({ type: 'REQUEST_OVERLAY_METRICS' });
    await v2.next('OVERLAY_METRICS_RESPONSE');

    const qset = quorumSetXdr(1, [overlays[3]!.nodeKey]);
    const hash = createHash('sha256').update(qset).digest();
    cores[3]!.send({ type: 'CACHE_QUORUM_SET', hash, quorumSet: qset });
    const env = new ScpSigner(overlays[3]!.seed, networkIdOf(TESTNET)).externalize(40n, Buffer.alloc(32, 40), hash);
    cores[3]!.send({ type: 'BROADCAST_SCP', envelope: env });
    await v2.next('SCP_RECEIVED', (m) => sameBytes(m.envelope, env));
    const pushed = await v2.next('QUORUM_SET_AVAILABLE');
    expect(sameBytes(pushed.quorumSet, qset)).to.equal(true);
  });
});

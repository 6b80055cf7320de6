// IPC frame and byte counts: plain numbers on the per-frame path, folded into the prom-client counters whenever
// they are read, once each.
import { expect } from 'chai';
import { MsgType } from '#ipc-protocol';
import { createIpcMetrics } from '../../../overlay/src/ipc/metrics.ts';
import { createRegistry, flatMetrics } from '../../../overlay/src/metrics/registry.ts';

describe('ipc metrics tallies', () => {
  it('fold into the counters when read, each count once, by direction and type name', async () => {
    const registry = createRegistry({ processMetrics: false });
    const m = createIpcMetrics(registry);
    expect(Object.keys(await flatMetrics(registry)).filter((k) => k.startsWith('overlay_ipc_frames_total'))).to.deep.equal([]);
    m.tallies.frameIn(MsgType.SUBMIT_TX);
    m.tallies.frameIn(MsgType.SUBMIT_TX);
    m.tallies.frameIn(MsgType.SUBMIT_TX);
    m.tallies.frameOut(MsgType.TX_VERDICT_BATCH);
    m.tallies.bytesIn(1000);
    const first = await flatMetrics(registry);
    expect(first['overlay_ipc_frames_total{direction=in,type=SUBMIT_TX}']).to.equal(3);
    expect(first['overlay_ipc_frames_total{direction=out,type=TX_VERDICT_BATCH}']).to.equal(1);
    expect(first['overlay_ipc_bytes_total{direction=in}']).to.equal(1000);
    // Read again without new frames: unchanged. Then more frames: added to what was there.
    expect(await flatMetrics(registry)).to.deep.equal(first);
    m.tallies.frameIn(MsgType.SUBMIT_TX);
    m.tallies.bytesIn(24);
    const second = await flatMetrics(registry);
    expect(second['overlay_ipc_frames_total{direction=in,type=SUBMIT_TX}']).to.equal(4);
    expect(second['overlay_ipc_bytes_total{direction=in}']).to.equal(1024);
    // The Prometheus text endpoint reads them the same way.
    expect(await registry.metrics()).to.match(/overlay_ipc_frames_total\{direction="in",type="SUBMIT_TX"\} 4/);
  });
});

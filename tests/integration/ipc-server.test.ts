// The IPC server of a real overlay process: socket permissions, one core at a time, dialects, bad frames,
// core reconnects, clean shutdown.
import { expect } from 'chai';
import { statSync } from 'node:fs';
import { dirname } from 'node:path';
import { spawn } from 'node:child_process';
import { ErrorCode, MsgType, encodeFrame } from '#ipc-protocol';
import { OVERLAY_BIN, startOverlay, type OverlayProcess } from '../helpers/overlay-process.ts';
import { RawCore } from '../helpers/raw-core.ts';
import { waitFor } from '../helpers/wait.ts';
import { quorumSetXdr } from '../../core-bridge/src/scp/envelopes.ts';
import { createHash } from 'node:crypto';

describe('overlay IPC server (real process)', function () {
  this.timeout(60_000);
  let overlay: OverlayProcess;

  before(async () => {
    overlay = await startOverlay();
  });
  after(async () => {
    await overlay?.stop();
  });

  it('creates the socket 0600 inside a 0700 directory', () => {
    expect(statSync(overlay.socketPath).mode & 0o777).to.equal(0o600);
    expect(statSync(dirname(overlay.socketPath)).mode & 0o777).to.equal(0o700);
  });

  it('negotiates extensions with HELLO and answers queries with request ids', async () => {
    const core = await RawCore.hello(overlay.socketPath);
    core.send({ type: 'GET_STATS', requestId: 41n });
    const stats = await core.next('STATS_REPLY');
    expect(stats.requestId).to.equal(41n);
    expect(stats.stats.uptimeSec).to.be.greaterThan(0);
    core.send({ type: 'GET_METRICS', requestId: 42n });
    const metrics = await core.next('METRICS_REPLY');
    expect(Object.keys(metrics.metrics).some((k) => k.startsWith('overlay_ipc_frames_total'))).to.equal(true);
    core.close();
    await waitFor('core to be gone', () => core.closed);
  });

  it('refuses a second core connection with ALREADY_CONNECTED and keeps the first', async () => {
    const first = await RawCore.hello(overlay.socketPath);
    const second = await RawCore.connect(overlay.socketPath);
    const err = await second.next('ERROR');
    expect(err.error.code).to.equal(ErrorCode.ALREADY_CONNECTED);
    await waitFor('second connection closed', () => second.closed);
    first.send({ type: 'GET_PEERS', requestId: 1n });
    expect((await first.next('PEERS_REPLY')).requestId).to.equal(1n);
    first.close();
    await waitFor('first core gone', () => first.closed);
  });

  it('answers bad frames from an extension core with ERROR and keeps the connection', async () => {
    const core = await RawCore.hello(overlay.socketPath);
    const split = encodeFrame({ type: 'GET_METRICS', requestId: 5n });
    core.sendRaw(split.subarray(0, 11)); // a frame split across writes is reassembled
    core.sendRaw(split.subarray(11));
    expect((await core.next('METRICS_REPLY')).requestId).to.equal(5n);
    const unknown = Buffer.alloc(8);
    unknown.writeUInt32LE(99, 0);
    core.sendRaw(unknown);
    expect((await core.next('ERROR', (e) => e.error.code === ErrorCode.UNKNOWN_TYPE)).error.refType).to.equal(99);
    const bad = Buffer.alloc(8 + 9);
    bad.writeUInt32LE(MsgType.GET_METRICS, 0);
    bad.writeUInt32LE(9, 4);
    bad.writeBigUInt64LE(77n, 8);
    core.sendRaw(bad); // one trailing byte
    const malformed = await core.next('ERROR', (e) => e.error.code === ErrorCode.MALFORMED_PAYLOAD);
    expect(malformed.requestId).to.equal(77n);
    const wrongWay = encodeFrame({ type: 'SCP_RECEIVED', envelope: Buffer.from([1]) });
    core.sendRaw(wrongWay);
    await core.next('ERROR', (e) => e.error.code === ErrorCode.WRONG_DIRECTION);
    core.send({ type: 'GET_STATS', requestId: 6n });
    expect((await core.next('STATS_REPLY')).requestId).to.equal(6n);
    core.close();
    await waitFor('core gone', () => core.closed);
  });

  it('closes the connection on an oversized frame, then accepts the next core', async () => {
    const core = await RawCore.hello(overlay.socketPath);
    const huge = Buffer.alloc(8);
    huge.writeUInt32LE(MsgType.BROADCAST_SCP, 0);
    huge.writeUInt32LE(16 * 1024 * 1024 + 1, 4);
    core.sendRaw(huge);
    await core.next('ERROR', (e) => e.error.code === ErrorCode.FRAME_TOO_LARGE);
    await waitFor('connection closed', () => core.closed);
    const next = await RawCore.hello(overlay.socketPath);
    next.close();
    await waitFor('core gone', () => next.closed);
  });

  it('drops bad frames from a V2 core silently (V2 has no ERROR) and keeps serving it', async () => {
    const core = await RawCore.connect(overlay.socketPath);
    core.send({ type: 'SET_PEER_CONFIG', config: { knownPeers: [], preferredPeers: [], listenPort: overlay.peerPort } });
    const unknown = Buffer.alloc(8);
    unknown.writeUInt32LE(99, 0);
    core.sendRaw(unknown);
    core.send({ type: 'REQUEST_OVERLAY_METRICS' });
    const m = await core.next('OVERLAY_METRICS_RESPONSE');
    expect(m.metrics['overlay_ipc_errors_total{code=UNKNOWN_TYPE}']).to.be.greaterThan(0);
    expect(core.count('ERROR')).to.equal(0);
    core.close();
    await waitFor('core gone', () => core.closed);
  });

  it('refuses a HELLO for another network', async () => {
    const core = await RawCore.connect(overlay.socketPath);
    const { localHello, networkIdOf } = await import('#ipc-protocol');
    core.send({ type: 'HELLO', hello: localHello('x', networkIdOf('Public Global Stellar Network ; September 2015')) });
    expect((await core.next('ERROR')).error.code).to.equal(ErrorCode.NETWORK_MISMATCH);
    await waitFor('connection closed', () => core.closed);
  });

  it('keeps its state when core disconnects and serves the next core', async () => {
    const qset = quorumSetXdr(1, [overlay.nodeKey]);
    const hash = createHash('sha256').update(qset).digest();
    const first = await RawCore.hello(overlay.socketPath);
    first.send({ type: 'CACHE_QUORUM_SET', hash, quorumSet: qset });
    first.close();
    await waitFor('first core gone', () => first.closed);
    const second = await RawCore.hello(overlay.socketPath);
    second.send({ type: 'FETCH_QUORUM_SET', requestId: 9n, hash });
    const reply = await second.next('QUORUM_SET_REPLY');
    expect(Buffer.from(reply.quorumSet).equals(qset)).to.equal(true);
    second.close();
    await waitFor('second core gone', () => second.closed);
  });
});

describe('overlay lifecycle (real process)', function () {
  this.timeout(60_000);

  it('exits 0 on SHUTDOWN', async () => {
    const overlay = await startOverlay();
    const core = await RawCore.connect(overlay.socketPath);
    core.send({ type: 'SHUTDOWN' });
    expect(await overlay.exit).to.deep.equal({ code: 0, signal: null });
  });

  it('exits 0 on SIGTERM and on SIGINT', async () => {
    for (const sig of ['SIGTERM', 'SIGINT'] as const) {
      const overlay = await startOverlay();
      expect(await overlay.stop(sig)).to.deep.equal({ code: 0, signal: null });
    }
  });

  it('replaces a stale socket file from a dead process', async () => {
    const first = await startOverlay();
    await first.stop('SIGKILL'); // leaves its socket file behind
    expect(statSync(first.socketPath).isSocket()).to.equal(true);
    const again = await startOverlay({ dir: first.dir, peerPort: first.peerPort, seed: first.seed });
    expect(again.logged(/replacing stale socket/)).to.equal(true);
    await again.stop();
  });

  it('does not steal a live socket', async () => {
    const live = await startOverlay();
    const proc = spawn(process.execPath, [OVERLAY_BIN, '--listen', live.socketPath, '--peer-port', '0', '--data-dir', live.dir + '/other'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    proc.stderr!.on('data', (d) => (err += d));
    const code = await new Promise((r) => proc.once('exit', r));
    expect(code).to.equal(2);
    expect(err).to.match(/another process is listening/);
    const core = await RawCore.hello(live.socketPath); // the original still serves
    core.close();
    await live.stop();
  });

  it('stops start-up with a message naming a bad config key', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(`${tmpdir()}/ovl-cfg-`);
    writeFileSync(`${dir}/bad.toml`, '[p2p]\ntarget_outbound = "eight"\nmystery = 1\n');
    const proc = spawn(process.execPath, [OVERLAY_BIN, '--config', `${dir}/bad.toml`], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    proc.stderr!.on('data', (d) => (err += d));
    expect(await new Promise((r) => proc.once('exit', r))).to.equal(2);
    expect(err).to.match(/p2p\.target_outbound/);
    expect(err).to.match(/mystery/);
  });
});

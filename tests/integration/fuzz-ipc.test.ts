// The IPC fuzzer (scripts/fuzz-ipc.ts) as a library call against a real overlay process: 10,000 random and mutated
// frames over many connections in both dialects; the overlay answers each bad frame as docs/ipc-protocol.md §6
// says, counts each one once, stays alive and healthy, and its memory stays bounded. Plus regression tests for what
// fuzzing found.
import { expect } from 'chai';
import { ErrorCode, MsgType } from '#ipc-protocol';
import { fuzzIpc } from '../../scripts/fuzz-ipc.ts';
import { metric, startOverlay, type OverlayProcess } from '../helpers/overlay-process.ts';
import { RawCore } from '../helpers/raw-core.ts';
import { waitFor } from '../helpers/wait.ts';

describe('IPC fuzzing (real process)', function () {
  this.timeout(120_000);
  let overlay: OverlayProcess;

  before(async () => {
    overlay = await startOverlay();
  });
  after(async () => {
    await overlay?.stop();
  });

  it('10,000 fuzzed frames: every bad frame answered and counted once, the overlay alive, healthy and bounded', async () => {
    const report = await fuzzIpc({
      socketPath: overlay.socketPath,
      pid: overlay.proc.pid!,
      adminUrl: overlay.adminUrl,
      frames: 10_000,
      seed: 7,
      countLogged: (re) => overlay.logs.filter((l) => re.test(l)).length,
    });
    expect(report.failures, JSON.stringify(report.violations, null, 1)).to.deep.equal([]);
    expect(report.ok).to.equal(true);
    expect(report.alive).to.equal(true);
    expect(report.health.failures).to.equal(0);
    // Both dialects and the oversized-frame path were exercised, with many bad frames of several kinds.
    expect(report.connections.extended).to.be.greaterThan(5);
    expect(report.connections.v2).to.be.greaterThan(5);
    expect(report.closedByOverlay.frameTooLarge).to.be.greaterThan(0);
    for (const code of ['MALFORMED_PAYLOAD', 'UNKNOWN_TYPE', 'WRONG_DIRECTION']) expect(report.outcomes[code] ?? 0, code).to.be.greaterThan(100);
    expect(report.countedErrors.counted).to.equal(report.countedErrors.expected);
    expect(report.rss!.endBytes).to.be.at.most(2 * report.rss!.startBytes);
    expect(report.logged).to.deep.equal({ uncaughtExceptions: 0, handlerFailures: 0 });
    // Still a working overlay.
    const core = await RawCore.hello(overlay.socketPath);
    core.send({ type: 'GET_STATS', requestId: 1n });
    expect((await core.next('STATS_REPLY')).requestId).to.equal(1n);
    core.close();
    await waitFor('core gone', () => core.closed);
  });

  it('counts an oversized frame once, however many reads its bytes take to arrive (found by fuzzing)', async () => {
    const tooLarge = /^overlay_ipc_errors_total\{code="FRAME_TOO_LARGE"\}/;
    const before = await metric(overlay, tooLarge);
    const lost = () => overlay.logs.filter((l) => l.includes('framing lost')).length;
    const lostBefore = lost();
    const core = await RawCore.hello(overlay.socketPath);
    // The header lies about its length; 1 MiB more arrives behind it, so the overlay reads several chunks at once.
    const bytes = Buffer.alloc(8 + 1024 * 1024, 0xab);
    bytes.writeUInt32LE(MsgType.BROADCAST_SCP, 0);
    bytes.writeUInt32LE(16 * 1024 * 1024 + 1, 4);
    core.sendRaw(bytes);
    await waitFor('connection closed', () => core.closed);
    // Its ERROR may be lost: closing a Unix socket with unread bytes in it resets the connection. Never two.
    expect(core.received.filter((m) => m.type === 'ERROR' && m.error.code === ErrorCode.FRAME_TOO_LARGE)).to.have.length.at.most(1);
    await waitFor('the count', async () => (await metric(overlay, tooLarge)) > before);
    expect((await metric(overlay, tooLarge)) - before).to.equal(1);
    expect(lost() - lostBefore).to.equal(1);
  });
});

// The C++ client (native/) against live overlay processes: two overlays A and B that know each other; the C++
// binary native/build/live_overlay_test connects to A as its core (HELLO, SUBMIT_TX_CHECKED → TX_VERDICT,
// GET_TOP_TXS_REQ → TOP_TXS_REPLY, SCP_RECEIVED), then again in the V2 dialect (SUBMIT_TX, GET_TOP_TXS →
// TOP_TXS_RESPONSE). This test orchestrates: it prepares a signed tx and an SCP envelope signed by B's node key, and
// when the binary says "connected" it broadcasts the envelope through B's core, so it must reach A's core over libp2p.
// The binary is built by `npm run test:native` (earlier in `npm test`); if it is missing it is built here.
import { expect } from 'chai';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { networkIdOf } from '#ipc-protocol';
import { ScpSigner } from '../../core-bridge/src/scp/envelopes.ts';
import { FIXTURE_BASE_FEE, TEST_PASSPHRASE, makePayment, testKeypair } from '../fixtures/txs.ts';
import { getJson, metric, startOverlay, type OverlayProcess } from '../helpers/overlay-process.ts';
import { RawCore } from '../helpers/raw-core.ts';
import { freePeerPort } from '../../scripts/lib/ports.ts';
import { waitFor } from '../helpers/wait.ts';

const NATIVE_DIR = fileURLToPath(new URL('../../native', import.meta.url));
const BUILD_DIR = `${NATIVE_DIR}/build`;
const BINARY = `${BUILD_DIR}/live_overlay_test`;
/** The binary's own deadline for everything it does; the test waits a little longer for it to exit. */
const BINARY_TIMEOUT_MS = 15_000;
const EXIT_GRACE_MS = 5_000;
/** A cold build of one test binary on a 2-core machine. */
const BUILD_TIMEOUT_MS = 180_000;

interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
}

/** Builds native/build/live_overlay_test when it is missing (configuring the build directory if needed). */
function ensureBinary(): void {
  if (existsSync(BINARY)) return;
  const cmake = (args: string[]) => {
    const r = spawnSync('cmake', args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
    if (r.error !== undefined || r.status !== 0) {
      throw new Error(
        `${BINARY} is missing and cmake ${args.join(' ')} failed (${r.error?.message ?? `status ${r.status}`}); ` +
          `run \`npm run test:native\` first, which installs the toolchain and builds native/.\n${r.stdout ?? ''}${r.stderr ?? ''}`,
      );
    }
  };
  if (!existsSync(`${BUILD_DIR}/CMakeCache.txt`)) cmake(['-S', NATIVE_DIR, '-B', BUILD_DIR]);
  cmake(['--build', BUILD_DIR, '--target', 'live_overlay_test', '-j2']);
}

/**
 * Runs the binary; `onLine` sees each stdout line as it comes. Resolves on exit with everything it printed; kills it
 * if it outlives its own deadline by EXIT_GRACE_MS.
 */
function runBinary(args: string[], onLine: (line: string) => void): Promise<RunResult> {
  const proc = spawn(BINARY, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let pending = '';
  proc.stdout.setEncoding('utf8').on('data', (d: string) => {
    output += d;
    pending += d;
    let i;
    while ((i = pending.indexOf('\n')) >= 0) {
      onLine(pending.slice(0, i));
      pending = pending.slice(i + 1);
    }
  });
  proc.stderr.setEncoding('utf8').on('data', (d: string) => (output += d));
  const killer = setTimeout(() => proc.kill('SIGKILL'), BINARY_TIMEOUT_MS + EXIT_GRACE_MS);
  return new Promise((resolve, reject) => {
    proc.once('error', reject);
    proc.once('close', (code, signal) => {
      clearTimeout(killer);
      resolve({ code, signal, output });
    });
  });
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('native client against live overlays (C++ live_overlay_test)', function () {
  this.timeout(60_000);
  let a: OverlayProcess;
  let b: OverlayProcess;
  let coreB: RawCore;

  before(async function () {
    this.timeout(BUILD_TIMEOUT_MS);
    ensureBinary();
    const [portA, portB] = [await freePeerPort(), await freePeerPort()];
    [a, b] = await Promise.all([
      startOverlay({ peerPort: portA, knownPeers: [`127.0.0.1:${portB}`] }),
      startOverlay({ peerPort: portB, knownPeers: [`127.0.0.1:${portA}`] }),
    ]);
    for (const o of [a, b]) {
      await waitFor(`overlay on ${o.peerPort} to have a peer`, async () => (await getJson<unknown[]>(`${o.adminUrl}/peers`)).length >= 1);
      // Gossipsub sends to its mesh, which forms on heartbeats: wait for it, or B's broadcast may reach nobody.
      await waitFor(`overlay on ${o.peerPort} SCP mesh`, async () => (await metric(o, /^overlay_scp_mesh_peers /)) >= 1);
    }
    coreB = await RawCore.hello(b.socketPath, TEST_PASSPHRASE);
  });

  after(async () => {
    coreB?.close();
    await Promise.all([a?.stop(), b?.stop()]);
  });

  it('connects, HELLO, tx verdict, top txs, SCP from the other overlay, then the V2 dialect', async () => {
    const tx = makePayment({ source: testKeypair(5001), seq: 1n });
    const v2Tx = makePayment({ source: testKeypair(5002), seq: 1n });
    const envelope = new ScpSigner(b.seed, networkIdOf(TEST_PASSPHRASE)).externalize(
      42n,
      Buffer.alloc(32, 0x42),
      Buffer.alloc(32, 0x51),
    );
    let broadcast = false;
    const result = await runBinary(
      [
        '--socket', a.socketPath,
        '--tx-hex', hex(tx),
        '--expect-scp-hex', hex(envelope),
        '--v2-tx-hex', hex(v2Tx),
        '--v2-fee', String(FIXTURE_BASE_FEE),
        '--v2-ops', '1',
        '--passphrase', TEST_PASSPHRASE,
        '--timeout-ms', String(BINARY_TIMEOUT_MS),
      ],
      (line) => {
        // A's core is connected from here on, so the envelope B floods is delivered to it.
        if (line === 'connected' && !broadcast) {
          broadcast = true;
          coreB.send({ type: 'BROADCAST_SCP', envelope });
        }
      },
    );
    const report = `live_overlay_test exited ${result.code ?? result.signal}:\n${result.output}`;
    expect(result.code, report).to.equal(0);
    expect(broadcast, report).to.equal(true);
    for (const step of ['ok hello', 'ok submit', 'ok top txs', 'ok scp', 'ok v2']) {
      expect(result.output, report).to.include(step);
    }
    // B's core authored the envelope: its overlay never hands it back.
    expect(coreB.count('SCP_RECEIVED')).to.equal(0);
  });
});

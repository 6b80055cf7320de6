// The verify-rate measurement: worker threads verifying real signatures (node:crypto, and sodium-native as the
// overlay runs it), and a clear answer for an alternative verifier that is not installed.
import { expect } from 'chai';
import { verifyRate } from '../../../scripts/lib/bench/verify-rate.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

describe('bench verify rate', function () {
  this.timeout(30_000);

  it('counts node:crypto verifies on each thread', async () => {
    const r = await verifyRate('node-cached', { threads: 2, durationMs: 100 });
    if (typeof r === 'string') throw new Error(r);
    expect(r.threads).to.equal(2);
    expect(r.perThread).to.have.length(2);
    for (const x of r.perThread) expect(x).to.be.greaterThan(0);
    expect(r.perSec).to.be.closeTo(r.perThread[0]! + r.perThread[1]!, 1e-6);
  });

  it('measures sodium-native, a project dependency, whatever the alternatives directory', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'no-verifiers-'));
    try {
      const r = await verifyRate('sodium-native', { threads: 1, durationMs: 50, altDir: empty });
      if (typeof r === 'string') throw new Error(r);
      expect(r.perSec).to.be.greaterThan(0);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('says why an alternative cannot be measured', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'no-verifiers-'));
    try {
      expect(await verifyRate('noble-ed25519', { threads: 1, durationMs: 50, altDir: empty })).to.be.a('string');
      expect(await verifyRate('noble-ed25519', { threads: 1, durationMs: 50, altDir: null })).to.be.a('string');
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});

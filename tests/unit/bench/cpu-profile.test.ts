// CPU profile summaries: self time by function, idle and blocked frames left out of the shares.
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { summariseProfile, summariseProfiles } from '../../../scripts/lib/bench/cpu-profile.ts';

const node = (id: number, functionName: string, hitCount: number, url = '', lineNumber = 0) => ({
  id,
  callFrame: { functionName, url, lineNumber },
  hitCount,
});

describe('bench CPU profile summary', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'cpuprof-'));
    const profile = (nodes: unknown[]) => JSON.stringify({ nodes, startTime: 0, endTime: 1_000_000 });
    writeFileSync(
      join(dir, 'a.cpuprofile'),
      profile([
        node(1, '(root)', 0),
        node(2, '(idle)', 45),
        node(3, 'atomicsWaitLoop', 30, 'file:///x/node_modules/piscina/dist/worker.js', 125),
        node(4, 'verify', 15, 'file:///work/main/overlay/src/tx/signatures.ts', 69),
        node(5, 'verify', 5, 'file:///work/main/overlay/src/tx/signatures.ts', 69),
        node(6, 'decode', 5, 'file:///work/main/node_modules/@stellar/js-xdr/lib/xdr.js', 9),
      ]),
    );
    writeFileSync(join(dir, 'b.cpuprofile'), profile([node(1, 'busy', 100)]));
    writeFileSync(join(dir, 'ignored.json'), '{}');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('ranks functions by self time among busy samples only', () => {
    const s = summariseProfile(join(dir, 'a.cpuprofile'));
    expect(s.wallMs).to.equal(1000);
    expect(s.top.map((h) => h.fn)).to.deep.equal(['verify overlay/src/tx/signatures.ts:70', 'decode @stellar/js-xdr/lib/xdr.js:10']);
    expect(s.top[0]!.selfPct).to.equal(80);
    expect(s.busyMs).to.equal(250); // 25 of 100 samples, 10 ms each
  });

  it('reads every profile in a directory, busiest first', () => {
    const all = summariseProfiles(dir);
    expect(all.map((p) => p.file.split('/').pop())).to.deep.equal(['b.cpuprofile', 'a.cpuprofile']);
  });
});

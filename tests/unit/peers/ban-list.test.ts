import { expect } from 'chai';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BanList, BAN_FILE } from '../../../overlay/src/peers/ban-list.ts';
import { OverlayError } from '../../../overlay/src/util/errors.ts';
import { createRegistry } from '../../../overlay/src/metrics/registry.ts';
import type { BanEntry } from '../../../overlay/src/peers/types.ts';
import { metric, quietLog, randomNodeKey, tempDir } from './helpers.ts';

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof OverlayError) return err.code;
    throw err;
  }
  return 'ok';
}

describe('peers/ban-list', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir()));
  afterEach(() => cleanup());

  it('bans, lists, unbans, and persists across instances (file mode 0600, no temp files left)', async () => {
    const k1 = randomNodeKey();
    const k2 = randomNodeKey();
    const bans = new BanList({ dataDir: dir, log: quietLog });
    expect(bans.isBanned(k1)).to.equal(false);
    const e1 = await bans.ban(k1, { reason: 'spam' });
    expect(e1).to.deep.equal({ key: k1, until: 0, reason: 'spam' });
    const before = Date.now();
    await bans.ban(k2, { durationMs: 60_000, reason: 'flood' });
    expect(bans.isBanned(k1)).to.equal(true);
    expect(bans.isBanned(k2)).to.equal(true);
    expect(bans.list().map((b) => b.key)).to.deep.equal([k1, k2]);

    const file = join(dir, BAN_FILE);
    expect(statSync(file).mode & 0o777).to.equal(0o600);
    expect(readdirSync(dir)).to.deep.equal([BAN_FILE]);

    const again = new BanList({ dataDir: dir, log: quietLog });
    expect(again.list().map((b) => b.key)).to.deep.equal([k1, k2]);
    const e2 = again.get(k2)!;
    expect(e2.reason).to.equal('flood');
    expect(e2.until).to.be.within(before + 60_000, Date.now() + 60_000);

    expect(await again.unban(k1)).to.equal(true);
    expect(await again.unban(k1)).to.equal(false);
    expect(new BanList({ dataDir: dir }).list().map((b) => b.key)).to.deep.equal([k2]);
  });

  it('expires bans lazily and drops them from the file', async () => {
    let now = 1_000_000;
    const k1 = randomNodeKey();
    const k2 = randomNodeKey();
    const registry = createRegistry({ processMetrics: false });
    const bans = new BanList({ dataDir: dir, now: () => now, registry });
    await bans.ban(k1, { durationMs: 1000, reason: 'short' });
    await bans.ban(k2, { reason: 'forever' });
    expect(bans.get(k1)?.until).to.equal(1_001_000);
    expect(await metric(registry, 'overlay_bans')).to.equal(2);
    now += 999;
    expect(bans.isBanned(k1)).to.equal(true);
    now += 1;
    expect(bans.isBanned(k1)).to.equal(false); // expiry is inclusive of `until`
    expect(await metric(registry, 'overlay_bans')).to.equal(1);
    await bans.flush();
    const onDisk = JSON.parse(readFileSync(join(dir, BAN_FILE), 'utf8')) as { bans: BanEntry[] };
    expect(onDisk.bans.map((b) => b.key)).to.deep.equal([k2]);
    // An instance loading an already-expired ban drops it at load.
    await bans.ban(k1, { durationMs: 10, reason: 'again' });
    now += 10;
    expect(new BanList({ dataDir: dir, now: () => now }).list().map((b) => b.key)).to.deep.equal([k2]);
  });

  it('refuses invalid keys and durations synchronously, with BAN_INVALID', () => {
    const bans = new BanList({ dataDir: dir });
    expect(codeOf(() => bans.ban('GNOTAKEY', { reason: 'x' }))).to.equal('BAN_INVALID');
    expect(codeOf(() => bans.ban('SB' + 'A'.repeat(54), { reason: 'x' }))).to.equal('BAN_INVALID');
    expect(codeOf(() => bans.ban(randomNodeKey(), { durationMs: 0, reason: 'x' }))).to.equal('BAN_INVALID');
    expect(codeOf(() => bans.ban(randomNodeKey(), { durationMs: -5, reason: 'x' }))).to.equal('BAN_INVALID');
    expect(codeOf(() => bans.ban(randomNodeKey(), { durationMs: Number.NaN, reason: 'x' }))).to.equal('BAN_INVALID');
    expect(bans.size).to.equal(0);
  });

  it('a corrupt or invalid file is a clear BAN_INVALID error naming the file', () => {
    const file = join(dir, BAN_FILE);
    const cases: [string, RegExp][] = [
      ['{"version":1,"bans":[', /not valid JSON/],
      ['[]', /expected a JSON object/],
      ['{"version":2,"bans":[]}', /unsupported version/],
      ['{"version":1,"bans":{}}', /not an array/],
      ['{"version":1,"bans":[{"key":"GABC","until":0,"reason":""}]}', /bans\[0\]\.key/],
      [`{"version":1,"bans":[{"key":"${randomNodeKey()}","until":"soon","reason":""}]}`, /bans\[0\]\.until/],
    ];
    for (const [text, why] of cases) {
      writeFileSync(file, text);
      let caught: unknown;
      try {
        new BanList({ dataDir: dir });
      } catch (err) {
        caught = err;
      }
      expect(caught, text).to.be.instanceOf(OverlayError);
      expect((caught as OverlayError).code).to.equal('BAN_INVALID');
      expect((caught as Error).message).to.include(file).and.match(why);
    }
  });

  it('is bounded: the oldest ban is evicted and counted', async () => {
    const registry = createRegistry({ processMetrics: false });
    const bans = new BanList({ dataDir: dir, maxEntries: 3, registry });
    const keys = [randomNodeKey(), randomNodeKey(), randomNodeKey(), randomNodeKey()];
    for (const k of keys) await bans.ban(k, { reason: 'r' });
    expect(bans.list().map((b) => b.key)).to.deep.equal(keys.slice(1));
    expect(await metric(registry, 'overlay_bans_evicted_total')).to.equal(1);
    // Re-banning moves a key to the newest position.
    await bans.ban(keys[1]!, { reason: 'renewed' });
    await bans.ban(randomNodeKey(), { reason: 'r' });
    expect(bans.isBanned(keys[1]!)).to.equal(true);
    expect(bans.isBanned(keys[2]!)).to.equal(false);
  });

  it("emits 'banned' with the entry, and coalesces concurrent writes", async () => {
    const bans = new BanList({ dataDir: dir });
    const seen: BanEntry[] = [];
    bans.on('banned', (e) => seen.push(e));
    const keys = Array.from({ length: 50 }, randomNodeKey);
    await Promise.all(keys.map((k, i) => bans.ban(k, { reason: `r${i}`, durationMs: 3_600_000 })));
    expect(seen.map((e) => e.key)).to.deep.equal(keys);
    expect(seen[7]!.reason).to.equal('r7');
    expect(new BanList({ dataDir: dir }).size).to.equal(50);
  });
});

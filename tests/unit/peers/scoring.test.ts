import { expect } from 'chai';
import { createRegistry } from '../../../overlay/src/metrics/registry.ts';
import { BanList } from '../../../overlay/src/peers/ban-list.ts';
import { createLogger } from '../../../overlay/src/util/log.ts';
import {
  OFFENCE_WEIGHTS,
  PEER_FAULT_TX_REASONS,
  PeerRateLimiter,
  PeerScorer,
  type PeerScorerOptions,
} from '../../../overlay/src/peers/scoring.ts';
import { metric, quietLog, randomNodeKey, tempDir } from './helpers.ts';

const MINUTE = 60_000;

/** A scorer on a fake clock that records what it bans and disconnects. */
function scorer(over: Partial<PeerScorerOptions> = {}) {
  let now = 1_000_000;
  const keys = new Map<string, string>();
  const bans: { key: string; durationMs: number; reason: string }[] = [];
  const disconnected: string[] = [];
  const registry = createRegistry({ processMetrics: false });
  const s = new PeerScorer({
    threshold: 100,
    halfLifeMs: MINUTE,
    banMs: 10 * MINUTE,
    keyOf: (peer) => {
      if (peer.startsWith('keyless')) return undefined;
      if (!keys.has(peer)) keys.set(peer, randomNodeKey());
      return keys.get(peer);
    },
    ban: (key, opts) => bans.push({ key, ...opts }),
    disconnect: (peer) => disconnected.push(peer),
    log: quietLog,
    registry,
    now: () => now,
    ...over,
  });
  return { s, bans, disconnected, keys, registry, advance: (ms: number) => (now += ms), now: () => now };
}

describe('peers/scoring', () => {
  describe('PeerScorer', () => {
    it('adds the weight of each offence and halves the score every half-life', () => {
      const { s, advance } = scorer();
      expect(s.score('p')).to.equal(0);
      expect(s.report('p', 'malformed_frame')).to.equal(30);
      advance(MINUTE);
      expect(s.score('p')).to.be.closeTo(15, 1e-9);
      advance(MINUTE);
      expect(s.score('p')).to.be.closeTo(7.5, 1e-9);
      expect(s.report('p', 'bad_tx')).to.be.closeTo(18.5, 1e-9);
      expect(s.report('p', 'inv_over_cap', 'detail', 10)).to.be.closeTo(19.5, 1e-9);
    });

    it('bans the node key and disconnects the peer at the threshold, then starts it from zero', async () => {
      const { s, bans, disconnected, keys, registry } = scorer();
      for (let i = 0; i < 3; i++) s.report('p', 'malformed_frame', 'INV: truncated');
      expect(bans).to.have.length(0);
      expect(s.report('p', 'malformed_frame', 'INV: truncated')).to.equal(120);
      expect(bans).to.deep.equal([
        { key: keys.get('p'), durationMs: 10 * MINUTE, reason: 'misbehaviour score 120 ≥ 100; last: malformed_frame (INV: truncated)' },
      ]);
      expect(disconnected).to.deep.equal(['p']);
      expect(s.score('p')).to.equal(0);
      expect(await metric(registry, 'overlay_peer_misbehaviour_total{kind=malformed_frame}')).to.equal(4);
      expect(await metric(registry, 'overlay_peer_score_bans_total')).to.equal(1);
      expect(await metric(registry, 'overlay_peer_scores')).to.equal(0);
    });

    it('lets a peer that offends slowly be: the score decays faster than it grows', () => {
      const { s, bans, advance } = scorer();
      // One malformed frame every minute settles at 60 (30 + 30/2 + 30/4 + …), under the threshold of 100.
      for (let i = 0; i < 30; i++) {
        s.report('p', 'malformed_frame');
        advance(MINUTE);
      }
      expect(bans).to.have.length(0);
      expect(s.score('p')).to.be.lessThan(60);
    });

    it('tolerates an honest peer announcing a full mempool beyond the cap, bans an INV spammer', () => {
      const { s, bans } = scorer();
      // 100,000 txs announced on connect = 100 INV frames of 1000, all beyond the cap: 10 points.
      for (let i = 0; i < 100; i++) s.report('honest', 'inv_over_cap');
      expect(s.score('honest')).to.be.closeTo(100 * OFFENCE_WEIGHTS.inv_over_cap, 1e-6);
      expect(bans).to.have.length(0);
      for (let i = 0; i < 1000 && bans.length === 0; i++) s.report('spammer', 'inv_over_cap');
      expect(bans).to.have.length(1);
    });

    it('bans at the 2nd lying reply or oversized frame, the 4th malformed frame, the 10th bad tx, half a second apart', () => {
      const { s, bans, advance } = scorer();
      const offencesToBan = (peer: string, kind: Parameters<typeof s.report>[1]) => {
        for (let n = 1; n <= 100; n++) {
          s.report(peer, kind);
          if (bans.length > 0) return n;
          advance(500);
        }
        return Infinity;
      };
      const got = (['lying_reply', 'oversized_frame', 'malformed_frame', 'unknown_frame', 'bad_tx'] as const).map((k, i) => {
        bans.length = 0;
        return offencesToBan(`p${i}`, k);
      });
      expect(got).to.deep.equal([2, 2, 4, 4, 10]);
    });

    it('counts but does not score the offences of a peer whose key is banned already: no second ban', async () => {
      const banned = new Set<string>();
      const { s, bans, keys, registry } = scorer({ isBanned: (key) => banned.has(key) });
      for (let i = 0; i < 10; i++) s.report('p', 'bad_tx', 'BAD_SIGNATURE');
      expect(bans).to.have.length(1);
      banned.add(keys.get('p')!);
      // The rest of the frame that was being checked when the ban came: as many again, and more.
      for (let i = 0; i < 30; i++) expect(s.report('p', 'bad_tx', 'BAD_SIGNATURE')).to.equal(0);
      expect(bans).to.have.length(1);
      expect(s.score('p')).to.equal(0);
      expect(await metric(registry, 'overlay_peer_misbehaviour_while_banned_total{kind=bad_tx}')).to.equal(30);
      expect(await metric(registry, 'overlay_peer_misbehaviour_total{kind=bad_tx}')).to.equal(40);
      // Once the ban is lifted, offences score again.
      banned.clear();
      expect(s.report('p', 'bad_tx')).to.equal(OFFENCE_WEIGHTS.bad_tx);
    });

    it('disconnects a peer without a node key, without a ban', () => {
      const { s, bans, disconnected } = scorer();
      s.report('keyless-1', 'oversized_frame');
      s.report('keyless-1', 'oversized_frame');
      expect(bans).to.have.length(0);
      expect(disconnected).to.deep.equal(['keyless-1']);
    });

    it('logs, never throws, when the ban cannot be made or persisted', async () => {
      const silent = createLogger('test', 'error', () => {});
      const failing = scorer({ ban: () => Promise.reject(new Error('disk full')), log: silent });
      const throwing = scorer({
        ban: () => {
          throw new Error('bad key');
        },
        log: silent,
      });
      for (const { s, disconnected } of [failing, throwing]) {
        s.report('p', 'lying_reply');
        expect(() => s.report('p', 'lying_reply')).to.not.throw();
        expect(disconnected).to.deep.equal(['p']);
      }
      await new Promise((r) => setImmediate(r)); // the rejection is handled
    });

    it('remembers at most maxPeers scores, forgetting the least recently reported', async () => {
      const { s, registry } = scorer({ maxPeers: 3 });
      for (const p of ['a', 'b', 'c']) s.report(p, 'bad_tx');
      s.report('a', 'bad_tx'); // a is now the most recent
      s.report('d', 'bad_tx');
      expect(s.size).to.equal(3);
      expect(s.score('b')).to.equal(0);
      expect(s.score('a')).to.equal(22);
      expect(await metric(registry, 'overlay_peer_scores')).to.equal(3);
      expect(await metric(registry, 'overlay_peer_scores_evicted')).to.equal(1);
    });

    it('bans through a real BanList: in force at once, for banMs, with the reason', async () => {
      const { dir, cleanup } = tempDir();
      try {
        let now = 5_000_000;
        const list = new BanList({ dataDir: dir, log: quietLog, now: () => now });
        const key = randomNodeKey();
        const s = new PeerScorer({
          threshold: 100,
          halfLifeMs: MINUTE,
          banMs: 10 * MINUTE,
          keyOf: () => key,
          ban: (k, opts) => list.ban(k, opts),
          disconnect: () => {},
          log: quietLog,
          registry: createRegistry({ processMetrics: false }),
          now: () => now,
        });
        for (let i = 0; i < 10; i++) s.report('p', 'bad_tx', 'BAD_SIGNATURE');
        expect(list.isBanned(key)).to.equal(true);
        expect(list.get(key)!.until).to.equal(now + 10 * MINUTE);
        expect(list.get(key)!.reason).to.include('bad_tx (BAD_SIGNATURE)');
        await list.flush();
        now += 10 * MINUTE;
        expect(list.isBanned(key)).to.equal(false);
        await list.flush();
      } finally {
        cleanup();
      }
    });

    it('rejects a meaningless configuration', () => {
      expect(() => scorer({ threshold: 0 })).to.throw(RangeError);
      expect(() => scorer({ halfLifeMs: 0 })).to.throw(RangeError);
      expect(() => scorer({ banMs: -1 })).to.throw(RangeError);
    });

    it('counts as peer faults only the tx rejections an honest overlay never floods', () => {
      expect([...PEER_FAULT_TX_REASONS].sort()).to.deep.equal(['BAD_SIGNATURE', 'MALFORMED_XDR', 'WRONG_NETWORK']);
    });
  });

  describe('PeerRateLimiter', () => {
    it('allows a burst, then the rate, per peer', () => {
      let now = 0;
      const l = new PeerRateLimiter({ perSec: 10_000, burst: 20_000, now: () => now });
      expect(l.take('p', 20_000)).to.equal(true);
      expect(l.take('p', 1)).to.equal(false);
      expect(l.take('q', 1000)).to.equal(true); // another peer has its own bucket
      now += 100;
      expect(l.take('p', 1001)).to.equal(false); // a refusal takes nothing...
      expect(l.take('p', 1000)).to.equal(true); // ...so what 100 ms refilled is still there
      now += 60_000;
      expect(l.take('p', 20_000)).to.equal(true); // refilled to the burst, never beyond
      expect(l.take('p', 1)).to.equal(false);
    });

    it('tracks at most maxPeers peers, with a gauge', async () => {
      const registry = createRegistry({ processMetrics: false });
      const l = new PeerRateLimiter({ perSec: 1, burst: 1, maxPeers: 2, name: 'test', registry });
      for (const p of ['a', 'b', 'c']) l.take(p, 1);
      expect(l.size).to.equal(2);
      expect(await metric(registry, 'overlay_test_limiter_peers')).to.equal(2);
      // 'a' was forgotten: it starts again with a full bucket.
      expect(l.take('a', 1)).to.equal(true);
      expect(() => new PeerRateLimiter({ perSec: 0, burst: 1 })).to.throw(RangeError);
    });
  });
});

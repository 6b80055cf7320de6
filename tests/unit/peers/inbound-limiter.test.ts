import { expect } from 'chai';
import { InboundLimiter, limiterKey } from '../../../overlay/src/peers/inbound-limiter.ts';
import { createRegistry } from '../../../overlay/src/metrics/registry.ts';
import { metric } from './helpers.ts';

describe('peers/inbound-limiter', () => {
  it('allows perMinute connections per address, then refills at perMinute per minute', () => {
    let now = 0;
    const lim = new InboundLimiter({ perMinute: 3, now: () => now });
    expect([lim.allow('10.0.0.1'), lim.allow('10.0.0.1'), lim.allow('10.0.0.1')]).to.deep.equal([true, true, true]);
    expect(lim.allow('10.0.0.1')).to.equal(false);
    expect(lim.allow('10.0.0.2'), 'another address has its own budget').to.equal(true);
    now += 19_999; // one token takes 20 s at 3/min
    expect(lim.allow('10.0.0.1')).to.equal(false);
    now += 1;
    expect(lim.allow('10.0.0.1')).to.equal(true);
    expect(lim.allow('10.0.0.1')).to.equal(false);
    now += 10 * 60_000; // refills to the burst size, not beyond
    expect([1, 2, 3, 4].map(() => lim.allow('10.0.0.1'))).to.deep.equal([true, true, true, false]);
  });

  it('groups IPv6 by /64 and treats IPv4-mapped addresses as IPv4', () => {
    expect(limiterKey('2001:db8:1:2:aaaa::1')).to.equal('2001:db8:1:2::/64');
    expect(limiterKey('2001:0db8:0001:0002:ffff:ffff:ffff:ffff')).to.equal('2001:db8:1:2::/64');
    expect(limiterKey('[2001:db8::1]')).to.equal('2001:db8:0:0::/64');
    expect(limiterKey('::1')).to.equal('0:0:0:0::/64');
    expect(limiterKey('::ffff:192.0.2.7')).to.equal('192.0.2.7');
    expect(limiterKey('192.0.2.7')).to.equal('192.0.2.7');
    const lim = new InboundLimiter({ perMinute: 1, now: () => 0 });
    expect(lim.allow('2001:db8:1:2::1')).to.equal(true);
    expect(lim.allow('2001:db8:1:2::2'), 'same /64').to.equal(false);
    expect(lim.allow('2001:db8:1:3::1'), 'other /64').to.equal(true);
  });

  it('bounds its map (least recently seen forgotten first) and reports it in metrics', async () => {
    let now = 0;
    const registry = createRegistry({ processMetrics: false });
    const lim = new InboundLimiter({ perMinute: 1, maxIps: 100, registry, now: () => now });
    for (let i = 0; i < 250; i++) lim.allow(`10.0.${i >> 8}.${i & 255}`);
    expect(lim.size).to.equal(100);
    expect(lim.evictions).to.equal(150);
    expect(lim.allow('10.0.0.249'), 'still tracked').to.equal(false);
    expect(lim.allow('10.0.0.0'), 'forgotten: a fresh bucket').to.equal(true);
    const m = await metric(registry, 'overlay_inbound_limiter_decisions_total{result=deny}');
    expect(m).to.equal(1);
    expect(await metric(registry, 'overlay_inbound_limiter_evictions_total')).to.equal(lim.evictions);
    expect(await metric(registry, 'overlay_inbound_limiter_ips')).to.equal(100);
    now += 60_000; // every bucket refilled: the scrape sweeps them out
    expect(await metric(registry, 'overlay_inbound_limiter_ips')).to.equal(0);
  });
});

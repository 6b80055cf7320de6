// TallyCounter: per-series plain-number counts folded into a prom-client Counter when it is read, each count once,
// under the same name and labels readers saw before.
import { expect } from 'chai';
import { createRegistry, flatMetrics } from '../../../overlay/src/metrics/registry.ts';
import { TallyCounter } from '../../../overlay/src/metrics/tallies.ts';

describe('metrics/tallies TallyCounter', () => {
  it('folds counts into the counter when read, each count once; series appear once they count', async () => {
    const registry = createRegistry({ processMetrics: false });
    const t = new TallyCounter({
      name: 'overlay_t_total',
      help: 't',
      labelNames: ['kind', 'how'],
      series: [{ kind: 'a', how: 'x' }, null, { kind: 'b', how: 'y' }, { kind: 'c', how: 'z' }],
      registers: [registry],
    });
    expect(await flatMetrics(registry)).to.deep.equal({});
    t.inc(0);
    t.inc(0);
    t.inc(2, 5);
    expect(await flatMetrics(registry)).to.deep.equal({ 'overlay_t_total{kind=a,how=x}': 2, 'overlay_t_total{kind=b,how=y}': 5 });
    // Read again with nothing new: the same values (nothing added twice).
    expect(await flatMetrics(registry)).to.deep.equal({ 'overlay_t_total{kind=a,how=x}': 2, 'overlay_t_total{kind=b,how=y}': 5 });
    t.inc(0);
    t.inc(1); // a slot without labels: never reported
    t.inc(9); // outside the table: ignored
    const text = await registry.metrics();
    expect(text).to.include('overlay_t_total{kind="a",how="x"} 3');
    expect(text).to.include('overlay_t_total{kind="b",how="y"} 5');
    expect(text).not.to.include('kind="c"');
  });
});

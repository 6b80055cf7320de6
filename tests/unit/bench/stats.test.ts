// Benchmark statistics: nearest-rank percentiles, medians that are measured values, CDF points for charts.
import { expect } from 'chai';
import fc from 'fast-check';
import { cdfPoints, distribution, histogram, median, percentileOfSorted } from '../../../scripts/lib/bench/stats.ts';

describe('bench stats', () => {
  it('takes nearest-rank percentiles', () => {
    const s = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentileOfSorted(s, 50)).to.equal(50);
    expect(percentileOfSorted(s, 99)).to.equal(99);
    expect(percentileOfSorted(s, 100)).to.equal(100);
    expect(percentileOfSorted([7], 99)).to.equal(7);
    expect(percentileOfSorted([], 50)).to.be.NaN;
  });

  it('summarises a distribution whatever the input order', () => {
    const d = distribution([5, 1, 4, 2, 3]);
    expect(d).to.deep.equal({ n: 5, min: 1, p50: 3, p90: 5, p99: 5, max: 5, mean: 3 });
  });

  it('returns a measured value as the median, the lower middle for an even count', () => {
    expect(median([3, 1, 2])).to.equal(2);
    expect(median([4, 1, 3, 2])).to.equal(2);
    expect(median([])).to.be.NaN;
  });

  it('percentiles lie between min and max and grow with p (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ noNaN: true, min: -1e9, max: 1e9 }), { minLength: 1, maxLength: 200 }), (xs) => {
        const d = distribution(xs);
        expect(d.min).to.be.at.most(d.p50);
        expect(d.p50).to.be.at.most(d.p90);
        expect(d.p90).to.be.at.most(d.p99);
        expect(d.p99).to.be.at.most(d.max);
      }),
    );
  });

  it('thins the CDF but keeps its last point at 100 %', () => {
    const pts = cdfPoints(Array.from({ length: 1000 }, (_, i) => 1000 - i), 100);
    expect(pts.length).to.be.within(100, 102);
    expect(pts[0]![0]).to.equal(1);
    expect(pts.at(-1)).to.deep.equal([1000, 100]);
    for (let i = 1; i < pts.length; i++) expect(pts[i]![0]).to.be.at.least(pts[i - 1]![0]);
  });

  it('bins every sample exactly once', () => {
    const xs = [1, 2, 2, 3, 10];
    const h = histogram(xs, 3);
    expect(h.reduce((a, b) => a + b.count, 0)).to.equal(xs.length);
    expect(h.at(-1)!.count).to.equal(1);
  });
});

// Chart output: plain SVG, escaped text, no NaN coordinates for empty, single-point or log-scale data.
import { expect } from 'chai';
import { barChart, lineChart, shortNum } from '../../../scripts/lib/bench/svg.ts';

function wellFormed(svg: string): void {
  expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).to.equal(true);
  expect(svg.trimEnd().endsWith('</svg>')).to.equal(true);
  expect(svg).not.to.match(/NaN|Infinity|undefined/);
  const open = (svg.match(/<text\b/g) ?? []).length;
  expect((svg.match(/<\/text>/g) ?? []).length).to.equal(open);
}

describe('bench SVG charts', () => {
  it('draws lines on log axes with reference lines and escapes text', () => {
    const svg = lineChart({
      title: 'a < b & "c"',
      xLabel: 'bytes',
      yLabel: 'tx/s',
      logX: true,
      logY: true,
      series: [
        { name: 'ours', points: [[256, 20_000], [1000, 15_000], [4000, 6000]] },
        { name: 'bare', points: [[256, 900_000], [1000, 500_000]], dashed: true },
        { name: 'one', points: [[256, 8000]], markersOnly: true },
      ],
      refLines: [{ y: 10_000, label: 'goal' }],
    });
    wellFormed(svg);
    expect(svg).to.include('a &lt; b &amp; &quot;c&quot;');
    expect((svg.match(/<path /g) ?? []).length).to.equal(2);
    expect(svg).to.include('stroke-dasharray="6 4"');
    expect(svg).to.include('>goal<');
  });

  it('copes with empty and single-valued data', () => {
    wellFormed(lineChart({ title: 't', xLabel: 'x', yLabel: 'y', series: [{ name: 'none', points: [] }] }));
    wellFormed(lineChart({ title: 't', xLabel: 'x', yLabel: 'y', series: [{ name: 'flat', points: [[1, 5], [2, 5]] }] }));
    wellFormed(barChart({ title: 't', yLabel: 'y', categories: [], series: [] }));
  });

  it('draws one bar per measured value and skips missing ones', () => {
    const svg = barChart({
      title: 'bars',
      yLabel: 'v',
      categories: ['a', 'b', 'c'],
      series: [
        { name: 's1', values: [1, 2, null] },
        { name: 's2', values: [3, Number.NaN, 5] },
      ],
      logY: true,
    });
    wellFormed(svg);
    expect((svg.match(/<rect x=/g) ?? []).length - 2 /* legend */).to.equal(4);
  });

  it('shortens tick numbers', () => {
    expect(shortNum(1500)).to.equal('1.5k');
    expect(shortNum(2_000_000)).to.equal('2M');
    expect(shortNum(0.25)).to.equal('0.25');
  });
});

import { expect } from 'chai';
import { createLogger, rateLimited } from '../../../overlay/src/util/log.ts';
import { waitFor } from '../../helpers/wait.ts';

describe('rateLimited logger', () => {
  it('writes the first lines of a window, then one summary with the count of the rest', async () => {
    const lines: Record<string, unknown>[] = [];
    const log = rateLimited(createLogger('t', 'debug', (l) => lines.push(JSON.parse(l))), 3, 100);
    for (let i = 0; i < 50; i++) log.warn('bad frame', { i });
    log.warn('another message', {});
    expect(lines.map((l) => l.msg)).to.deep.equal(['bad frame', 'bad frame', 'bad frame', 'another message']);
    const summary = await waitFor('summary line', () => lines.find((l) => l.msg === 'bad frame (more suppressed)'));
    expect(summary).to.include({ level: 'warn', suppressed: 47 });
  });

  it('starts a new window after the old one ends', async () => {
    const lines: string[] = [];
    const log = rateLimited(createLogger('t', 'debug', (l) => lines.push(JSON.parse(l).msg)), 1, 30);
    log.info('x');
    log.info('x');
    await waitFor('summary', () => lines.includes('x (more suppressed)'));
    log.info('x');
    expect(lines.filter((m) => m === 'x')).to.have.length(2);
  });
});

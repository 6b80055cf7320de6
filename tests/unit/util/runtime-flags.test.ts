import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { expect } from 'chai';
import {
  OVERLAY_ENV,
  SEMI_SPACE_MB,
  WORKER_RESOURCE_LIMITS,
  launchEnv,
  launchNodeFlags,
  missingNodeFlags,
  NODE_FLAGS_ENV,
  OVERLAY_NODE_FLAGS,
  overlayShebang,
} from '../../../overlay/src/runtime-flags.ts';
import { overlayCommand, OVERLAY_BIN } from '../../../scripts/lib/overlay-launch.ts';

describe('overlay runtime flags', () => {
  it('the bin’s shebang runs node with OVERLAY_NODE_FLAGS', () => {
    const firstLine = readFileSync(OVERLAY_BIN, 'utf8').split('\n', 1)[0];
    expect(firstLine).to.equal(overlayShebang());
    expect(firstLine).to.equal(`#!/usr/bin/env -S MALLOC_ARENA_MAX=2 MALLOC_MMAP_THRESHOLD_=65536 node ${OVERLAY_NODE_FLAGS.join(' ')}`);
  });

  it('our launchers add the malloc variables the environment does not set', () => {
    expect(launchEnv({})).to.deep.equal(OVERLAY_ENV);
    expect(launchEnv({ MALLOC_ARENA_MAX: '4' })).to.deep.equal({ MALLOC_MMAP_THRESHOLD_: OVERLAY_ENV['MALLOC_MMAP_THRESHOLD_'] });
  });

  it('our launchers put the flags before the bin, unless the override variable replaces them', () => {
    const [node, ...argv] = overlayCommand(['--config', 'x.toml'], launchNodeFlags({}));
    expect(node).to.equal(process.execPath);
    expect(argv).to.deep.equal([...OVERLAY_NODE_FLAGS, OVERLAY_BIN, '--config', 'x.toml']);
    expect(launchNodeFlags({ [NODE_FLAGS_ENV]: ' --max-semi-space-size=8  --max-old-space-size=768 ' })).to.deep.equal([
      '--max-semi-space-size=8',
      '--max-old-space-size=768',
    ]);
    expect(launchNodeFlags({ [NODE_FLAGS_ENV]: '' })).to.deep.equal([]);
  });

  it('names the recommended flags a process runs without; another value or NODE_OPTIONS counts as given', () => {
    expect(missingNodeFlags({ execArgv: [], nodeOptions: null })).to.deep.equal([...OVERLAY_NODE_FLAGS]);
    expect(missingNodeFlags({ execArgv: [...OVERLAY_NODE_FLAGS], nodeOptions: null })).to.deep.equal([]);
    expect(
      missingNodeFlags({ execArgv: ['--heap_growing_percent=30', '--cpu-prof'], nodeOptions: '--max-semi-space-size=16' }),
    ).to.deep.equal([]);
    expect(missingNodeFlags({ execArgv: ['--max-semi-space-size=4'], nodeOptions: null })).to.deep.equal(['--heap-growing-percent=50']);
  });

  it('WORKER_RESOURCE_LIMITS caps a worker’s semi-spaces at SEMI_SPACE_MB, as the flag would', async () => {
    // Churns short-lived objects so the new space grows to its cap, then reports the new space's size.
    const script = `
      const { parentPort } = require('node:worker_threads');
      const v8 = require('node:v8');
      let keep = [];
      for (let i = 0; i < 2e6; i++) { keep.push({ i, a: [i] }); if (keep.length > 1e5) keep = []; }
      parentPort.postMessage(v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size);`;
    const w = new Worker(script, { eval: true, resourceLimits: WORKER_RESOURCE_LIMITS });
    const newSpaceBytes = await new Promise<number>((resolve, reject) => w.once('message', resolve).once('error', reject));
    await w.terminate();
    expect(newSpaceBytes).to.be.at.most(2 * SEMI_SPACE_MB * 2 ** 20);
  });
});

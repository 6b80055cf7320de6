import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import {
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
    expect(firstLine).to.equal(`#!/usr/bin/env -S node ${OVERLAY_NODE_FLAGS.join(' ')}`);
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
});

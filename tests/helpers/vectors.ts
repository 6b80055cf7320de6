// Reads tests/vectors/ipc-frames.txt (shared with native/).
import { readFileSync } from 'node:fs';

export interface Vector {
  name: string;
  /** 'ok' or an error code name. */
  expect: string;
  bytes: Buffer;
}

export function readVectors(): Vector[] {
  const text = readFileSync(new URL('../vectors/ipc-frames.txt', import.meta.url), 'utf8');
  return text
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('#'))
    .map((line) => {
      const [name, expect, hex] = line.trim().split(/\s+/);
      if (!name || !expect || hex === undefined) throw new Error(`bad vector line: ${line}`);
      return { name, expect, bytes: Buffer.from(hex, 'hex') };
    });
}

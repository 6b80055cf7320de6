// The benches `npm run bench` runs and the report renders, in that order.

export interface KnownBench {
  bench: string;
  title: string;
  script: string;
  /** How to run it alone. */
  run: string;
}

export const KNOWN_BENCHES: readonly KnownBench[] = [
  { bench: 'codec', title: 'Codec', script: 'scripts/bench-codec.ts', run: 'npm run bench:codec' },
  { bench: 'ipc', title: 'IPC: core ⇄ overlay', script: 'scripts/bench-ipc.ts', run: 'node scripts/bench-ipc.ts' },
  { bench: 'flood', title: 'Tx flooding', script: 'scripts/bench-flood.ts', run: 'npm run bench:flood' },
  { bench: 'dos', title: 'Denial of service: the cost to honest traffic', script: 'scripts/bench-dos.ts', run: 'node scripts/bench-dos.ts' },
  { bench: 'e2e', title: 'End to end', script: 'scripts/bench-e2e.ts', run: 'node scripts/bench-e2e.ts' },
  { bench: 'mempool', title: 'Mempool memory', script: 'scripts/bench-mempool.ts', run: 'node scripts/bench-mempool.ts' },
];

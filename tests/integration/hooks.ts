// Mocha root hooks for integration tests: no overlay process outlives the run.
import { stopAllOverlays } from '../helpers/overlay-process.ts';

export const mochaHooks = {
  async afterAll(): Promise<void> {
    await stopAllOverlays();
  },
};

import { describe, it, expect } from 'vitest';
import { IdleSpinner } from '../../../src/engine/idle-spinner.js';
import { until } from '../client/fake-inference-server.js';

describe('IdleSpinner (a real thread)', () => {
  it('spins for the set time after a poke, sleeps after it, and wakes again on the next poke', async () => {
    const spinner = new IdleSpinner(20_000);
    try {
      expect(spinner.spinning).toBe(false);
      expect(spinner.periods).toBe(0);
      spinner.poke();
      // The thread itself counts the wake (bounded waits: a loaded machine may be slow).
      await until(() => spinner.periods === 1, 'spinner.periods === 1');
      // Back to sleep once 20 ms pass without another poke.
      await until(() => !spinner.spinning, '!spinner.spinning');
      expect(spinner.periods).toBe(1);
      // One after it slept wakes it again.
      spinner.poke();
      await until(() => spinner.periods === 2, 'spinner.periods === 2');
      await until(() => !spinner.spinning, '!spinner.spinning');
    } finally {
      await spinner.close();
    }
  });

  it('stops its thread on close in the middle of a spin, and ignores pokes after it', async () => {
    const spinner = new IdleSpinner(60_000_000);
    spinner.poke();
    await until(() => spinner.periods === 1, 'spinner.periods === 1'); // spinning now, for a minute
    await spinner.close(); // resolves only once the thread has exited
    spinner.poke();
    expect(spinner.spinning).toBe(false);
    expect(spinner.periods).toBe(1);
  });
});

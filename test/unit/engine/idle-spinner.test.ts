import { describe, it, expect } from 'vitest';
import { IdleSpinner } from '../../../src/engine/idle-spinner.js';

/** Polls `check` every millisecond until it holds or `ms` pass; resolves with the last answer. */
async function within(ms: number, check: () => boolean): Promise<boolean> {
  const end = Date.now() + ms;
  for (;;) {
    if (check()) return true;
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 1));
  }
}

describe('IdleSpinner (a real thread)', () => {
  it('spins for the set time after a poke, sleeps after it, and wakes again on the next poke', async () => {
    const spinner = new IdleSpinner(20_000);
    try {
      expect(spinner.spinning).toBe(false);
      spinner.poke();
      expect(spinner.spinning).toBe(true);
      // Back to sleep once 20 ms pass without another poke (bounded wait: a loaded machine may be slow).
      expect(await within(2_000, () => !spinner.spinning)).toBe(true);
      // A poke while it spins extends the spin; one after it slept wakes it.
      spinner.poke();
      expect(spinner.spinning).toBe(true);
      expect(await within(2_000, () => !spinner.spinning)).toBe(true);
    } finally {
      await spinner.close();
    }
  });

  it('stops its thread on close, also in the middle of a spin, and ignores pokes after it', async () => {
    const spinner = new IdleSpinner(60_000_000);
    spinner.poke();
    expect(spinner.spinning).toBe(true);
    await spinner.close(); // resolves only once the thread has exited
    spinner.poke();
    expect(spinner.spinning).toBe(false);
  });
});

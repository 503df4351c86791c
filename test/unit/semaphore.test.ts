// The semaphore that bounds how many agents (and requests) run at once.

import * as assert from 'node:assert/strict';
import { Semaphore } from '../../src/core/session/semaphore';

describe('semaphore', () => {
  it('never lets more than its limit run, even when a newcomer arrives as a slot frees', async () => {
    const s = new Semaphore(2);
    let active = 0;
    let peak = 0;
    await Promise.all(
      Array.from({ length: 12 }, async (_, i) => {
        const release = await s.acquire();
        active++;
        peak = Math.max(peak, active);
        await new Promise((r) => setTimeout(r, i % 3));
        active--;
        release();
      }),
    );
    assert.equal(peak, 2);
  });
});

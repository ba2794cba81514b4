import { describe, expect, test } from '@jest/globals';
import { limitConcurrency } from '../../src/lib/limit-concurrency.js';

describe('limitConcurrency', () => {
  test('never runs more than n tasks at once, runs them all, keeps results and failures apart', async () => {
    const limit = limitConcurrency(2);
    let running = 0;
    let peak = 0;
    const task = (i: number) =>
      limit(async () => {
        running++;
        peak = Math.max(peak, running);
        await new Promise((r) => setTimeout(r, 5));
        running--;
        if (i === 3) throw new Error('boom');
        return i;
      });
    const results = await Promise.allSettled(Array.from({ length: 9 }, (_, i) => task(i)));
    expect(peak).toBe(2);
    expect(results.filter((r) => r.status === 'fulfilled').map((r) => (r as PromiseFulfilledResult<number>).value)).toEqual([0, 1, 2, 4, 5, 6, 7, 8]);
    expect(results[3]).toMatchObject({ status: 'rejected' });
  });
});

import type { ExpiringStore } from '../../src/domain/ports.js';
import { ManualClock } from '../../src/lib/clock.js';
import { createMemoryStore } from '../../src/persistence/memory-store.js';
import { createRedisStore } from '../../src/persistence/redis-store.js';
import { TEST_REDIS_URL, testRedisPrefix } from '../helpers/services.js';

/** A store under test, a way to let its time pass, and the cleanup of everything it wrote. */
export interface StoreHarness {
  store: ExpiringStore;
  advance(seconds: number): Promise<void>;
  cleanup(): Promise<void>;
}

/** The memory store on a manual clock: time moves instantly. */
export async function openMemoryStore(): Promise<StoreHarness> {
  const clock = new ManualClock(new Date('2030-01-01T00:00:00Z'));
  const store = createMemoryStore(clock);
  return {
    store,
    async advance(seconds) {
      clock.advance(seconds * 1000);
    },
    async cleanup() {
      await store.close();
    },
  };
}

/** The Redis store on its own key prefix; time really passes, so keep TTLs short and waits few. */
export async function openRedisStore(): Promise<StoreHarness> {
  const prefix = testRedisPrefix();
  const store = createRedisStore(TEST_REDIS_URL, prefix);
  const { client } = store;
  // The store fails commands instead of queueing them while offline: wait for the first connection.
  if (client.status !== 'ready') {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`Redis at ${TEST_REDIS_URL} is not reachable`)), 5000);
      client.once('ready', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
  return {
    store,
    advance: (seconds) => new Promise((resolve) => setTimeout(resolve, seconds * 1000)),
    async cleanup() {
      // keyPrefix is not applied to SCAN patterns, but is applied to DEL: strip it before deleting.
      let cursor = '0';
      do {
        const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
        cursor = next;
        if (keys.length > 0) await client.del(...keys.map((k) => k.slice(prefix.length)));
      } while (cursor !== '0');
      await store.close();
    },
  };
}

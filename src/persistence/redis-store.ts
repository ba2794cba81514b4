import { Redis } from 'ioredis';
import type { ExpiringStore } from '../domain/ports.js';

/** Lua keeps "increment then set the TTL on first use" one atomic step. */
const INCREMENT = `local n = redis.call('INCR', KEYS[1]) if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end return n`;
const ADD_TO_SET = `redis.call('SADD', KEYS[1], ARGV[1]) local t = redis.call('TTL', KEYS[1]) if t < tonumber(ARGV[2]) then redis.call('EXPIRE', KEYS[1], ARGV[2]) end return 1`;

export function createRedisStore(url: string, prefix: string): ExpiringStore & { client: Redis } {
  const client = new Redis(url, {
    keyPrefix: prefix,
    // Fail commands quickly during an outage (503) instead of queueing them; reconnect forever.
    maxRetriesPerRequest: 1,
    enableOfflineQueue: true,
    retryStrategy: (times) => Math.min(times * 200, 2000),
    lazyConnect: false,
  });
  // Queue commands only until the first connection; afterwards an outage fails fast (503).
  client.once('ready', () => {
    client.options.enableOfflineQueue = false;
  });
  client.on('error', () => {
    /* reported through readiness; ioredis reconnects by itself */
  });
  return {
    client,
    async get(key) {
      return client.get(key);
    },
    async set(key, value, ttlSeconds) {
      if (ttlSeconds && ttlSeconds > 0) await client.set(key, value, 'EX', Math.ceil(ttlSeconds));
      else await client.set(key, value);
    },
    async setIfAbsent(key, value, ttlSeconds) {
      const result = ttlSeconds && ttlSeconds > 0 ? await client.set(key, value, 'EX', Math.ceil(ttlSeconds), 'NX') : await client.set(key, value, 'NX');
      return result === 'OK';
    },
    async delete(...keys) {
      if (keys.length > 0) await client.del(...keys);
    },
    async addToSet(key, member, ttlSeconds) {
      await client.eval(ADD_TO_SET, 1, key, member, String(Math.ceil(ttlSeconds)));
    },
    async members(key) {
      return client.smembers(key);
    },
    async increment(key, ttlSeconds) {
      return Number(await client.eval(INCREMENT, 1, key, String(Math.ceil(ttlSeconds))));
    },
    async ttl(key) {
      const t = await client.ttl(key);
      return t < 0 ? null : t;
    },
    async ping() {
      await client.ping();
    },
    async close() {
      client.disconnect();
    },
  };
}

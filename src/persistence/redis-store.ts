import { Redis } from 'ioredis';
import type { ExpiringStore } from '../domain/ports.js';

// Lua keeps multi-step writes one atomic step and one round trip.

/** "Increment then set the TTL on first use"; an absent counter may start from ARGV[2]. */
const INCREMENT = `local n if ARGV[2] and redis.call('EXISTS', KEYS[1]) == 0 then n = redis.call('INCRBY', KEYS[1], tonumber(ARGV[2]) + 1) redis.call('EXPIRE', KEYS[1], ARGV[1]) return n end
n = redis.call('INCR', KEYS[1]) if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end return n`;

/**
 * Sets are Redis hashes of empty values: a small hash is a listpack, ≈ 40 % of a small set's memory
 * on Redis 7.0 (one such index per logged-in user). Sets written before that are still read and added to.
 */
const ADD_MEMBER = `local function add(k, m, ttl) if redis.call('TYPE', k).ok == 'set' then redis.call('SADD', k, m) else redis.call('HSET', k, m, '') end
local t = redis.call('TTL', k) if t < tonumber(ttl) then redis.call('EXPIRE', k, ttl) end end`;
const ADD_TO_SET = `${ADD_MEMBER} add(KEYS[1], ARGV[1], ARGV[2]) return 1`;
const MEMBERS = `if redis.call('TYPE', KEYS[1]).ok == 'set' then return redis.call('SMEMBERS', KEYS[1]) end return redis.call('HKEYS', KEYS[1])`;
/** KEYS: record, set, marker (optional) · ARGV: value, ttl (0: none), member, set ttl. */
const SET_TRACKED = `${ADD_MEMBER} if KEYS[3] and redis.call('EXISTS', KEYS[3]) == 1 then return 0 end
add(KEYS[2], ARGV[3], ARGV[4])
if tonumber(ARGV[2]) > 0 then redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2]) else redis.call('SET', KEYS[1], ARGV[1]) end return 1`;
/** KEYS: key, the key whose TTL it takes · ARGV: value, fallback TTL. */
const SET_IF_ABSENT_LIKE = `local t = redis.call('TTL', KEYS[2]) if t <= 0 then t = tonumber(ARGV[2]) end
if redis.call('SET', KEYS[1], ARGV[1], 'EX', t, 'NX') then return 1 end return 0`;

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
      return (await client.eval(MEMBERS, 1, key)) as string[];
    },
    async increment(key, ttlSeconds) {
      return Number(await client.eval(INCREMENT, 1, key, String(Math.ceil(ttlSeconds))));
    },
    async incrementFrom(key, initial, ttlSeconds) {
      return Number(await client.eval(INCREMENT, 1, key, String(Math.ceil(ttlSeconds)), String(Math.trunc(initial))));
    },
    async ttl(key) {
      const t = await client.ttl(key);
      return t < 0 ? null : t;
    },
    async getMany(keys) {
      return keys.length === 0 ? [] : client.mget(...keys);
    },
    async setMany(entries) {
      if (entries.length === 0) return;
      const multi = client.multi();
      for (const { key, value, ttlSeconds } of entries) {
        if (ttlSeconds && ttlSeconds > 0) multi.set(key, value, 'EX', Math.ceil(ttlSeconds));
        else multi.set(key, value);
      }
      const results = await multi.exec();
      const failed = results?.find(([error]) => error);
      if (!results || failed) throw failed?.[0] ?? new Error('MULTI aborted');
    },
    async setTracked(key, value, ttlSeconds, track) {
      const ttl = ttlSeconds && ttlSeconds > 0 ? String(Math.ceil(ttlSeconds)) : '0';
      const keys = track.unless ? [key, track.set, track.unless] : [key, track.set];
      return Number(await client.eval(SET_TRACKED, keys.length, ...keys, value, ttl, track.member, String(Math.ceil(track.setTtlSeconds)))) === 1;
    },
    async setIfAbsentLike(key, value, ttlOf, fallbackTtlSeconds) {
      return Number(await client.eval(SET_IF_ABSENT_LIKE, 2, key, ttlOf, value, String(Math.ceil(fallbackTtlSeconds)))) === 1;
    },
    async ping() {
      await client.ping();
    },
    async close() {
      client.disconnect();
    },
  };
}

import type { Clock } from '../lib/clock.js';
import type { ExpiringStore } from '../domain/ports.js';

interface Entry {
  value: string | Set<string>;
  expiresAt: number | null;
}

/**
 * The embedded store for a first run: the ExpiringStore contract in one process's memory.
 * Expiry follows the injected clock, so tests move time instead of waiting.
 */
export function createMemoryStore(clock: Clock): ExpiringStore {
  const entries = new Map<string, Entry>();
  const now = () => clock.now().getTime();
  const live = (key: string): Entry | undefined => {
    const entry = entries.get(key);
    if (entry && entry.expiresAt !== null && entry.expiresAt <= now()) {
      entries.delete(key);
      return undefined;
    }
    return entry;
  };
  const expiry = (ttlSeconds?: number) => (ttlSeconds && ttlSeconds > 0 ? now() + Math.ceil(ttlSeconds) * 1000 : null);

  const addMember = (key: string, member: string, ttlSeconds: number) => {
    const entry = live(key);
    const wanted = expiry(ttlSeconds)!;
    if (entry && entry.value instanceof Set) {
      entry.value.add(member);
      if (entry.expiresAt !== null && entry.expiresAt < wanted) entry.expiresAt = wanted;
    } else {
      entries.set(key, { value: new Set([member]), expiresAt: wanted });
    }
  };

  const store: ExpiringStore = {
    async get(key) {
      const entry = live(key);
      if (entry === undefined) return null;
      if (typeof entry.value !== 'string') throw new Error(`WRONGTYPE ${key} is not a string`);
      return entry.value;
    },
    async set(key, value, ttlSeconds) {
      entries.set(key, { value, expiresAt: expiry(ttlSeconds) });
    },
    async setIfAbsent(key, value, ttlSeconds) {
      if (live(key)) return false;
      entries.set(key, { value, expiresAt: expiry(ttlSeconds) });
      return true;
    },
    async delete(...keys) {
      for (const key of keys) entries.delete(key);
    },
    async addToSet(key, member, ttlSeconds) {
      addMember(key, member, ttlSeconds);
    },
    async members(key) {
      const entry = live(key);
      return entry && entry.value instanceof Set ? [...entry.value] : [];
    },
    async increment(key, ttlSeconds) {
      const entry = live(key);
      // Counters are strings, as in Redis, so `get` reads them the same way on both stores.
      if (entry && typeof entry.value === 'string') {
        const next = Number(entry.value) + 1;
        if (!Number.isInteger(next)) throw new Error(`ERR value of ${key} is not an integer`);
        entry.value = String(next);
        return next;
      }
      if (entry) throw new Error(`WRONGTYPE ${key} is not a counter`);
      entries.set(key, { value: '1', expiresAt: expiry(ttlSeconds) });
      return 1;
    },
    async ttl(key) {
      const entry = live(key);
      if (!entry || entry.expiresAt === null) return null;
      return Math.ceil((entry.expiresAt - now()) / 1000);
    },
    async getMany(keys) {
      return Promise.all(keys.map((key) => store.get(key)));
    },
    // One process, no await between the steps: each of these is atomic as Redis' MULTI or Lua is.
    async setMany(list) {
      for (const { key, value, ttlSeconds } of list) entries.set(key, { value, expiresAt: expiry(ttlSeconds) });
    },
    async incrementFrom(key, initial, ttlSeconds) {
      // increment's body runs before its first await: nothing comes between the two steps.
      if (!live(key)) entries.set(key, { value: String(Math.trunc(initial)), expiresAt: expiry(ttlSeconds) });
      return store.increment(key, ttlSeconds);
    },
    async setTracked(key, value, ttlSeconds, track) {
      if (track.unless && live(track.unless)) return false;
      addMember(track.set, track.member, track.setTtlSeconds);
      entries.set(key, { value, expiresAt: expiry(ttlSeconds) });
      return true;
    },
    async setIfAbsentLike(key, value, ttlOf, fallbackTtlSeconds) {
      const like = live(ttlOf);
      const remaining = like?.expiresAt ? Math.ceil((like.expiresAt - now()) / 1000) : fallbackTtlSeconds;
      return store.setIfAbsent(key, value, remaining); // runs to its end synchronously, like the lines above
    },
    async ping() {},
    async close() {
      entries.clear();
    },
  };
  return store;
}

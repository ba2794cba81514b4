import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { RateLimiter, RateLimiterFactory } from '../domain/ports.js';

function wrap(limiter: RateLimiterAbstract): RateLimiter {
  return {
    async consume(key) {
      try {
        await limiter.consume(key);
        return { allowed: true, retryAfterSeconds: 0 };
      } catch (e) {
        if (e instanceof RateLimiterRes) return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(e.msBeforeNext / 1000)) };
        throw e;
      }
    },
    async reset(key) {
      await limiter.delete(key);
    },
  };
}

/** rate-limiter-flexible on the shared Redis (every process counts together), or in memory when embedded. */
export function createRateLimiterFactory(redis: Redis | null): RateLimiterFactory {
  return {
    create(name, { points, durationSeconds }) {
      const options = { keyPrefix: `rl:${name}`, points, duration: durationSeconds };
      return wrap(redis ? new RateLimiterRedis({ ...options, storeClient: redis }) : new RateLimiterMemory(options));
    },
  };
}

/**
 * Experiment, not a change to Guichet: preloaded into the Guichet process only when
 * BENCH_EXPERIMENT=bound-argon2, it lets at most BENCH_ARGON2_CONCURRENCY (default: the number of
 * cores) argon2 hashes or verifies run at once; the others wait in a FIFO on the event loop instead
 * of in libuv's thread pool, where they would queue ahead of WebCrypto's signing jobs. It estimates
 * what the proposed fix in src/authenticators/argon2-hasher.ts would buy.
 */
import { createRequire } from 'node:module';
import { cpus } from 'node:os';

const require = createRequire(import.meta.url);
const argon2 = require('argon2') as Record<string, (...args: unknown[]) => Promise<unknown>>;
const limit = Number(process.env.BENCH_ARGON2_CONCURRENCY ?? cpus().length);
let active = 0;
const waiting: (() => void)[] = [];

const acquire = (): Promise<void> => {
  if (active < limit) {
    active++;
    return Promise.resolve();
  }
  return new Promise((resolve) => waiting.push(resolve));
};
const release = () => {
  const next = waiting.shift();
  if (next) next();
  else active--;
};

for (const name of ['hash', 'verify']) {
  const original = argon2[name]!;
  argon2[name] = async (...args: unknown[]) => {
    await acquire();
    try {
      return await original.apply(argon2, args);
    } finally {
      release();
    }
  };
}

export {};

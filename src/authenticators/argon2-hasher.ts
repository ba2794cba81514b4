import argon2 from 'argon2';
import { availableParallelism } from 'node:os';
import { limitConcurrency } from '../lib/limit-concurrency.js';
import type { PasswordHasher } from '../domain/password-hasher.js';

export interface Argon2Parameters {
  memoryKiB: number;
  timeCost: number;
  parallelism: number;
}

/**
 * argon2id (RFC 9106) on libuv's thread pool, never on the event loop.
 * Floors per OWASP / ASVS 5.0 11.4.2: m ≥ 19456 KiB with t = 2, p = 1.
 */
export async function createArgon2Hasher(params: Argon2Parameters, maxConcurrent = availableParallelism()): Promise<PasswordHasher> {
  const options = { type: argon2.argon2id as 2, memoryCost: params.memoryKiB, timeCost: params.timeCost, parallelism: params.parallelism };
  // About one hash per core: the rest of libuv's thread pool stays free for signing and I/O, so tokens
  // and JWKS keep their latency while logins saturate argon2.
  const limit = limitConcurrency(Math.max(1, maxConcurrent));
  const dummy = await argon2.hash('guichet-dummy-secret', options);
  return {
    hash: (secret) => limit(() => argon2.hash(secret, options)),
    async verify(hash, secret) {
      try {
        return await limit(() => argon2.verify(hash, secret));
      } catch {
        return false;
      }
    },
    needsRehash: (hash) => !hash.startsWith('$argon2id$') || weakerThan(hash, options),
    async burn(secret) {
      await limit(() => argon2.verify(dummy, secret));
    },
  };
}

/**
 * True when any parameter of the stored hash is below the configured one. Parameters are read by
 * name (their order differs between versions); a stronger stored hash is left alone.
 */
function weakerThan(hash: string, wanted: { memoryCost: number; timeCost: number; parallelism: number }): boolean {
  const params = Object.fromEntries((hash.split('$')[3] ?? '').split(',').map((kv) => kv.split('=') as [string, string]));
  const m = Number(params.m);
  const t = Number(params.t);
  const p = Number(params.p);
  if (![m, t, p].every(Number.isFinite)) return true;
  return m < wanted.memoryCost || t < wanted.timeCost || p < wanted.parallelism;
}


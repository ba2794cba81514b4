import type { Clock } from '../lib/clock.js';
import type { GuardedCredential } from '../domain/credential.js';
import type { CredentialRepository, ExpiringStore } from '../domain/ports.js';

/** PSD2 RTS art. 4(3)(b) and 4(4): N consecutive failures block; temporary blocks end in a permanent one. */
export interface LockoutPolicy {
  maxAttempts: number;
  /** Temporary blocks before the permanent one; 0 makes the first block permanent. */
  temporaryBlocks: number;
  temporaryBlockSeconds: number;
  /** Tell the owner when a block starts and before the permanent one (PSD2 RTS art. 4(4)). */
  alert: boolean;
}

export type Gate = { kind: 'proceed'; attempt: number } | { kind: 'blocked'; permanent: boolean; until: Date | null };

export type FailureResult =
  | { blocked: false; remaining: number }
  | { blocked: true; permanent: boolean; until: Date | null; lastTemporary: boolean };

export type LockoutEvent = { type: 'blocked'; credential: GuardedCredential; permanent: boolean; until: Date | null; lastTemporary: boolean };

const COUNTER_TTL = 30 * 86400;

/**
 * Counts an attempt before its secret is checked, atomically in the store, so 50 parallel guesses
 * get at most `maxAttempts` evaluations. The count is mirrored in Postgres and blocks live there:
 * losing the store's data never unblocks anyone. One mechanism for every kind of credential.
 */
export function createLockout(deps: { store: ExpiringStore; credentials: Pick<CredentialRepository, 'recordFailures' | 'block' | 'unblock'>; clock: Clock; policy: LockoutPolicy; notify(event: LockoutEvent): Promise<void> }) {
  const { store, credentials, clock, policy } = deps;
  // The block generation is part of the key: a block starts a fresh counter, and a reader holding
  // the credential as it was before the block lands on the old, exhausted one.
  const counterKey = (c: Pick<GuardedCredential, 'id' | 'blockCount'>) => `lockout:${c.id}:${c.blockCount}`;

  return {
    policy,
    async gate(c: GuardedCredential): Promise<Gate> {
      const now = clock.now();
      if (c.blockedAt) return { kind: 'blocked', permanent: true, until: null };
      if (c.blockedUntil && c.blockedUntil > now) return { kind: 'blocked', permanent: false, until: c.blockedUntil };
      // A lost or expired counter resumes from the durable count; one atomic step, one round trip.
      const attempt = await store.incrementFrom(counterKey(c), c.failedCount, COUNTER_TTL);
      if (attempt > policy.maxAttempts) return { kind: 'blocked', permanent: c.blockCount >= policy.temporaryBlocks, until: null };
      return { kind: 'proceed', attempt };
    },

    async recordFailure(c: GuardedCredential, attempt: number): Promise<FailureResult> {
      await credentials.recordFailures(c.id, attempt);
      if (attempt < policy.maxAttempts) return { blocked: false, remaining: policy.maxAttempts - attempt };
      const now = clock.now();
      const permanent = c.blockCount >= policy.temporaryBlocks;
      const until = permanent ? null : new Date(now.getTime() + policy.temporaryBlockSeconds * 1000);
      await credentials.block(c.id, now, until);
      const lastTemporary = !permanent && c.blockCount + 1 === policy.temporaryBlocks;
      if (policy.alert) await deps.notify({ type: 'blocked', credential: c, permanent, until, lastTemporary });
      return { blocked: true, permanent, until, lastTemporary };
    },

    /** After a success (or an unblock) every generation's counter goes. */
    async reset(c: Pick<GuardedCredential, 'id' | 'blockCount'>): Promise<void> {
      const keys = Array.from({ length: c.blockCount + 1 }, (_, g) => counterKey({ id: c.id, blockCount: g }));
      await store.delete(...keys);
    },

    async unblock(c: GuardedCredential): Promise<void> {
      await credentials.unblock(c.id);
      await this.reset(c);
    },
  };
}

export type Lockout = ReturnType<typeof createLockout>;

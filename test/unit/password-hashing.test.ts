import { describe, test, expect, beforeAll } from '@jest/globals';
import argon2 from 'argon2';
import { performance } from 'node:perf_hooks';
import type { Account } from '../../src/domain/account.js';
import type { CredentialKind, SecretCredential } from '../../src/domain/credential.js';
import type { PasswordHasher } from '../../src/domain/password-hasher.js';
import type { CredentialRepository } from '../../src/domain/ports.js';
import type { AuthContext } from '../../src/authenticators/contract.js';
import { createArgon2Hasher } from '../../src/authenticators/argon2-hasher.js';
import { createPasswordAuthenticator } from '../../src/authenticators/password/password-authenticator.js';

/** The floor of ASVS 5.0 11.4.2 / OWASP Password Storage: argon2id, m ≥ 19456 KiB, t ≥ 2, p = 1. */
const FLOOR = { memoryKiB: 19456, timeCost: 2, parallelism: 1 };

interface Phc {
  id: string;
  version: number;
  params: Record<string, number>;
}

/** Parses `$argon2id$v=19$m=…,t=…,p=…$salt$hash`; the parameter order is not fixed. */
function parsePhc(encoded: string): Phc {
  const match = /^\$(argon2(?:id|i|d))\$v=(\d+)\$([^$]+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/.exec(encoded);
  if (!match) throw new Error(`not an argon2 PHC string: ${encoded}`);
  const params: Record<string, number> = {};
  for (const pair of match[3]!.split(',')) {
    const [name, value] = pair.split('=');
    params[name!] = Number(value);
  }
  return { id: match[1]!, version: Number(match[2]), params };
}

/** An argon2id hash made with parameters below the floor, as an older release would have stored. */
const legacyHash = (password: string) => argon2.hash(password, { type: argon2.argon2id, memoryCost: 8192, timeCost: 1, parallelism: 1 });

function createFakeCredentials(): CredentialRepository & { byId: Map<string, SecretCredential> } {
  const byId = new Map<string, SecretCredential>();
  let next = 0;
  return {
    byId,
    async find(accountId: string, kind: CredentialKind) {
      return [...byId.values()].find((c) => c.accountId === accountId && c.kind === kind) ?? null;
    },
    async upsert(input) {
      const existing = await this.find(input.accountId, input.kind);
      const credential: SecretCredential = { id: existing?.id ?? `credential-${++next}`, ...input, failedCount: 0, blockedAt: null, blockedUntil: null, blockCount: 0, lastUsedAt: null };
      byId.set(credential.id, credential);
      return credential;
    },
    async replaceHash(id, secretHash) {
      const credential = byId.get(id);
      if (!credential) throw new Error(`no credential ${id}`);
      byId.set(id, { ...credential, secretHash });
    },
    async recordSuccess(id, at) {
      const credential = byId.get(id);
      if (!credential) throw new Error(`no credential ${id}`);
      byId.set(id, { ...credential, failedCount: 0, blockCount: 0, blockedUntil: null, lastUsedAt: at });
    },
    async findById(id) {
      return byId.get(id) ?? null;
    },
    async listForAccount(accountId) {
      return [...byId.values()].filter((c) => c.accountId === accountId);
    },
    async listExpiring(kind, since, until) {
      return [...byId.values()].filter((c) => c.kind === kind && c.expiresAt !== null && c.expiresAt >= since && c.expiresAt < until);
    },
    async recordFailures(id, failedCount) {
      const credential = byId.get(id)!;
      byId.set(id, { ...credential, failedCount: Math.max(credential.failedCount, failedCount) });
    },
    async block(id, at, until) {
      const credential = byId.get(id)!;
      byId.set(id, { ...credential, failedCount: 0, blockCount: credential.blockCount + 1, ...(until ? { blockedUntil: until } : { blockedAt: at, blockedUntil: null }) });
    },
    async unblock(id) {
      const credential = byId.get(id)!;
      byId.set(id, { ...credential, failedCount: 0, blockCount: 0, blockedAt: null, blockedUntil: null });
    },
  };
}

function account(id: string): Account {
  const at = new Date('2030-01-01T00:00:00Z');
  return {
    id,
    subscriptionId: null,
    username: id,
    userNumber: null,
    status: 'active',
    familyName: null,
    givenName: null,
    email: null,
    emailVerified: false,
    locale: 'fr',
    roles: [],
    profile: null,
    preferences: {},
    createdAt: at,
    updatedAt: at,
  };
}

const context = (who: Account | null): AuthContext => ({ flowId: 'flow-1', account: who, now: new Date('2030-02-01T00:00:00Z'), ip: '192.0.2.1', userAgent: 'jest' });

describe('argon2id hasher', () => {
  let hasher: PasswordHasher;
  beforeAll(async () => {
    hasher = await createArgon2Hasher(FLOOR);
  });

  test('ASVS-27 CS-01 the stored hash is argon2id with m >= 19456 KiB, t >= 2, p = 1', async () => {
    const encoded = await hasher.hash('correct horse battery staple');
    const phc = parsePhc(encoded);
    expect(phc.id).toBe('argon2id');
    expect(phc.version).toBe(19);
    expect(phc.params.m).toBeGreaterThanOrEqual(19456);
    expect(phc.params.t).toBeGreaterThanOrEqual(2);
    expect(phc.params.p).toBe(1);
  });

  test('ASVS-27 each hash has its own salt', async () => {
    const a = await hasher.hash('same password');
    const b = await hasher.hash('same password');
    expect(a).not.toBe(b);
  });

  test('verify accepts the password and refuses another, or a malformed hash, without throwing', async () => {
    const encoded = await hasher.hash('correct horse battery staple');
    expect(await hasher.verify(encoded, 'correct horse battery staple')).toBe(true);
    expect(await hasher.verify(encoded, 'Correct horse battery staple')).toBe(false);
    expect(await hasher.verify('not-a-hash', 'anything')).toBe(false);
  });

  test('ASVS-27 CS-01 needsRehash is true for a hash below the configured parameters, false for a current one', async () => {
    const legacy = await legacyHash('correct horse battery staple');
    expect(parsePhc(legacy).params).toMatchObject({ m: 8192, t: 1 });
    expect(hasher.needsRehash(legacy)).toBe(true);
    expect(hasher.needsRehash(await hasher.hash('correct horse battery staple'))).toBe(false);
  });
});

describe('password authenticator', () => {
  let hasher: PasswordHasher;
  let burns: number;
  let credentials: ReturnType<typeof createFakeCredentials>;
  let authenticator: ReturnType<typeof createPasswordAuthenticator>;

  beforeAll(async () => {
    const real = await createArgon2Hasher(FLOOR);
    burns = 0;
    hasher = {
      ...real,
      burn: async (secret) => {
        burns += 1;
        await real.burn(secret);
      },
    };
    credentials = createFakeCredentials();
    authenticator = createPasswordAuthenticator({ credentials, hasher });
  });

  const enrol = async (who: Account, secretHash: string) =>
    credentials.upsert({ accountId: who.id, kind: 'password', secretHash, setAt: new Date('2029-01-01T00:00:00Z'), mustChange: false, expiresAt: null });

  test('ASVS-27 CS-01 a legacy hash verifies, returns a rehash as evidence, and commit stores the upgrade', async () => {
    const alice = account('alice');
    const stored = await enrol(alice, await legacyHash('Tr0ub4dor&3-legacy'));

    const outcome = await authenticator.verify(context(alice), { secret: 'Tr0ub4dor&3-legacy' });
    if (outcome.kind !== 'verified') throw new Error(`expected verified, got ${JSON.stringify(outcome)}`);
    expect(outcome.accountId).toBe('alice');
    expect(outcome.evidence.credentialId).toBe(stored.id);
    expect(outcome.evidence.rehash).not.toBeNull();
    const upgraded = parsePhc(outcome.evidence.rehash!);
    expect(upgraded.id).toBe('argon2id');
    expect(upgraded.params.m).toBeGreaterThanOrEqual(19456);
    expect(upgraded.params.t).toBeGreaterThanOrEqual(2);
    expect(upgraded.params.p).toBe(1);
    // Verifying alone changes nothing stored.
    expect(credentials.byId.get(stored.id)!.secretHash).toBe(stored.secretHash);

    await authenticator.commit(context(alice), outcome.evidence);
    const after = credentials.byId.get(stored.id)!;
    expect(after.secretHash).toBe(outcome.evidence.rehash);
    expect(after.lastUsedAt).toEqual(context(alice).now);
    expect(hasher.needsRehash(after.secretHash)).toBe(false);

    // The upgraded hash still verifies, and needs no further rehash.
    const again = await authenticator.verify(context(alice), { secret: 'Tr0ub4dor&3-legacy' });
    expect(again).toMatchObject({ kind: 'verified', evidence: { credentialId: stored.id, rehash: null } });
  });

  test('a current hash verifies without rehash; commit keeps the hash', async () => {
    const bob = account('bob');
    const stored = await enrol(bob, await hasher.hash('bob-password-2030'));
    const outcome = await authenticator.verify(context(bob), { secret: 'bob-password-2030' });
    expect(outcome).toEqual({ kind: 'verified', accountId: 'bob', evidence: { credentialId: stored.id, rehash: null } });
    if (outcome.kind !== 'verified') return;
    await authenticator.commit(context(bob), outcome.evidence);
    expect(credentials.byId.get(stored.id)!.secretHash).toBe(stored.secretHash);
  });

  test('a wrong password is rejected with wrong_secret', async () => {
    const carol = account('carol');
    await enrol(carol, await hasher.hash('carol-password-2030'));
    expect(await authenticator.verify(context(carol), { secret: 'carol-password-2031' })).toEqual({ kind: 'rejected', reason: 'wrong_secret' });
  });

  test('an account without a password is rejected with no_credential, after spending a hash', async () => {
    const before = burns;
    expect(await authenticator.verify(context(account('dave')), { secret: 'whatever' })).toEqual({ kind: 'rejected', reason: 'no_credential' });
    expect(burns).toBe(before + 1);
  });

  test('ASVS-27 an unknown account is rejected with unknown_account and still spends a hash', async () => {
    const erin = account('erin');
    await enrol(erin, await hasher.hash('erin-password-2030'));
    const time = async (who: Account | null) => {
      const start = performance.now();
      const outcome = await authenticator.verify(context(who), { secret: 'a wrong guess' });
      return { outcome, ms: performance.now() - start };
    };
    // Warm both paths, then interleave so that load on the machine hits both alike.
    await time(erin);
    await time(null);
    const known: number[] = [];
    const unknown: number[] = [];
    const burnsBefore = burns;
    for (let i = 0; i < 5; i++) {
      const k = await time(erin);
      expect(k.outcome).toEqual({ kind: 'rejected', reason: 'wrong_secret' });
      known.push(k.ms);
      const u = await time(null);
      expect(u.outcome).toEqual({ kind: 'rejected', reason: 'unknown_account' });
      unknown.push(u.ms);
    }
    expect(burns).toBe(burnsBefore + 5);
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    expect(median(unknown)).toBeGreaterThanOrEqual(median(known) / 2);
  });
});

import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { generateSync, NobleCryptoPlugin, ScureBase32Plugin } from 'otplib';
import { loadConfig } from '../../src/config/load.js';
import { createCoreContainer, type Container } from '../../src/container.js';
import { ManualClock } from '../../src/lib/clock.js';
import type { Account } from '../../src/domain/account.js';
import type { AuthContext } from '../../src/authenticators/contract.js';
import { createTotpAuthenticator } from '../../src/authenticators/oath/totp-authenticator.js';
import { createHotpAuthenticator } from '../../src/authenticators/oath/hotp-authenticator.js';
import { createOathEnrolment } from '../../src/authenticators/oath/enrolment.js';
import { decodeBase32 } from '../../src/authenticators/oath/oath-codes.js';
import { createTestDatabase, testRedisPrefix, TEST_REDIS_URL } from '../helpers/services.js';

/** The user's side: otplib, an implementation independent of Guichet's, plays the app and the token. */
const crypto = new NobleCryptoPlugin();
const base32 = new ScureBase32Plugin();
const STEP_MS = 30_000;
const appCode = (secret: string, at: Date, steps = 0) => generateSync({ strategy: 'totp', secret, epoch: Math.floor(at.getTime() / 1000) + steps * 30, crypto, base32 });
const TOKEN_SECRET_HEX = Buffer.from('12345678901234567890', 'ascii').toString('hex');
const tokenCode = (counter: number) => generateSync({ strategy: 'hotp', secret: Buffer.from(TOKEN_SECRET_HEX, 'hex'), counter, crypto, base32 });

describe('OATH factors against Postgres', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let container: Container;
  const clock = new ManualClock(new Date('2031-05-04T10:00:10Z'));
  let totp: ReturnType<typeof createTotpAuthenticator>;
  let hotp: ReturnType<typeof createHotpAuthenticator>;
  let enrolment: ReturnType<typeof createOathEnrolment>;

  beforeAll(async () => {
    database = await createTestDatabase();
    container = await createCoreContainer(loadConfig({}, { databaseUrl: database.url, redisUrl: TEST_REDIS_URL, redisPrefix: testRedisPrefix(), logLevel: 'silent' }), { clock });
    const deps = { factors: container.repos.factors, clock, policy: { totpWindowSteps: 1, hotpLookAhead: 10, hotpResyncWindow: 100 } };
    totp = createTotpAuthenticator(deps);
    hotp = createHotpAuthenticator(deps);
    enrolment = createOathEnrolment(deps);
  });
  afterAll(async () => {
    await container?.close();
    await database?.drop();
  });

  const newAccount = () => container.repos.accounts.create({ username: `u-${randomBytes(5).toString('hex')}`, status: 'active' });
  const contextFor = (account: Account | null): AuthContext => ({ flowId: 'flow', account, now: clock.now(), ip: '127.0.0.1', userAgent: 'jest' });
  const rowsOf = (accountId: string) => container.db('credentials').where({ account_id: accountId }).select('*');

  async function enrolTotp() {
    const account = await newAccount();
    const { secret } = enrolment.beginTotpEnrolment(account.username!, 'Banque Test');
    const confirmed = await enrolment.confirmTotpEnrolment(account.id, secret, appCode(secret, clock.now()));
    if (confirmed.kind !== 'enrolled') throw new Error('enrolment failed');
    clock.advance(STEP_MS);
    return { account, secret, ctx: contextFor(account), credentialId: confirmed.credential.id };
  }

  async function importToken(counter = 0) {
    const account = await newAccount();
    const serial = `TOK-${randomBytes(4).toString('hex')}`;
    const token = await enrolment.importHotpToken(account.id, { serial, secret: TOKEN_SECRET_HEX, counter });
    return { account, serial, ctx: contextFor(account), credentialId: token.id };
  }

  describe('TOTP', () => {
    test('enrolment: a wrong first code stores nothing; the right one stores the seed with its step already spent', async () => {
      const account = await newAccount();
      const { secret, otpauthUri } = enrolment.beginTotpEnrolment(account.username!, 'Banque Test');
      expect(otpauthUri).toContain(`secret=${secret}`);
      expect(await enrolment.confirmTotpEnrolment(account.id, secret, appCode(secret, clock.now(), 3))).toEqual({ kind: 'rejected', reason: 'wrong_secret' });
      expect(await rowsOf(account.id)).toHaveLength(0);

      const first = appCode(secret, clock.now());
      const confirmed = await enrolment.confirmTotpEnrolment(account.id, secret, first);
      expect(confirmed).toMatchObject({ kind: 'enrolled', credential: { kind: 'totp', serial: null }, revoked: [] });
      expect(await totp.isEnrolled(contextFor(account))).toBe(true);
      expect(await totp.isEnrolled(contextFor(await newAccount()))).toBe(false);
      expect(await totp.verify(contextFor(account), { code: first }, undefined)).toEqual({ kind: 'rejected', reason: 'replayed' });

      clock.advance(STEP_MS);
      const outcome = await totp.verify(contextFor(account), { code: appCode(secret, clock.now()) }, undefined);
      expect(outcome).toMatchObject({ kind: 'verified', accountId: account.id, evidence: { kind: 'totp', drift: 0 } });
      if (outcome.kind !== 'verified') throw new Error('unreachable');
      await totp.commit(contextFor(account), outcome.evidence);
      expect((await container.repos.factors.findById(outcome.evidence.credentialId))!.lastUsedAt).toEqual(clock.now());
    });

    test('N3-16 codes of −1, 0 and +1 steps are accepted with the default window; −2 and +2 are refused', async () => {
      const { secret, ctx } = await enrolTotp();
      clock.advance(10 * STEP_MS);
      const at = (steps: number) => totp.verify(ctx, { code: appCode(secret, clock.now(), steps) }, undefined);
      expect(await at(-2)).toEqual({ kind: 'rejected', reason: 'wrong_secret' });
      expect(await at(2)).toEqual({ kind: 'rejected', reason: 'wrong_secret' });
      expect(await at(-1)).toMatchObject({ kind: 'verified', evidence: { drift: -1 } });
      expect(await at(0)).toMatchObject({ kind: 'verified', evidence: { drift: 0 } });
      expect(await at(1)).toMatchObject({ kind: 'verified', evidence: { drift: 1 } });
    });

    test('N3-15 PSD2-03 the same code is refused the second time, and so is any earlier step once a later one is used', async () => {
      const { secret, ctx } = await enrolTotp();
      const code = appCode(secret, clock.now());
      expect(await totp.verify(ctx, { code }, undefined)).toMatchObject({ kind: 'verified' });
      expect(await totp.verify(ctx, { code }, undefined)).toEqual({ kind: 'rejected', reason: 'replayed' });
      expect(await totp.verify(ctx, { code: code.replace(/(\d{3})/, '$1 ') }, undefined)).toEqual({ kind: 'rejected', reason: 'replayed' });
      clock.advance(STEP_MS / 2);
      expect(await totp.verify(ctx, { code }, undefined)).toEqual({ kind: 'rejected', reason: 'replayed' });
      expect(await totp.verify(ctx, { code: appCode(secret, clock.now(), 1) }, undefined)).toMatchObject({ kind: 'verified' });
      expect(await totp.verify(ctx, { code: appCode(secret, clock.now(), 0) }, undefined)).toEqual({ kind: 'rejected', reason: 'replayed' });
    });

    test('N3-15 PSD2-03 20 parallel submissions of one valid code: exactly one is verified (atomic counter)', async () => {
      const { secret, ctx } = await enrolTotp();
      const code = appCode(secret, clock.now());
      const outcomes = await Promise.all(Array.from({ length: 20 }, () => totp.verify(ctx, { code }, undefined)));
      expect(outcomes.filter((o) => o.kind === 'verified')).toHaveLength(1);
      expect(outcomes.filter((o) => o.kind === 'rejected' && o.reason === 'replayed')).toHaveLength(19);
    });

    test('PSD2-18 the seed is sealed at rest, shown only at enrolment, and re-enrolment revokes the old one', async () => {
      const { account, secret, ctx, credentialId } = await enrolTotp();
      const key = decodeBase32(secret);
      const everyColumn = JSON.stringify(await rowsOf(account.id));
      for (const form of [secret, secret.toLowerCase(), key.toString('hex'), key.toString('base64'), key.toString('base64url')]) expect(everyColumn).not.toContain(form);
      expect((await rowsOf(account.id))[0].sealed_data).toMatch(/^v1\./);
      expect(JSON.stringify(await enrolment.listOathCredentials(account.id))).not.toContain(secret);

      const { secret: fresh } = enrolment.beginTotpEnrolment(account.username!, 'Banque Test');
      const again = await enrolment.confirmTotpEnrolment(account.id, fresh, appCode(fresh, clock.now()));
      expect(again).toMatchObject({ kind: 'enrolled', revoked: [credentialId] });
      expect(await rowsOf(account.id)).toHaveLength(1);
      clock.advance(STEP_MS);
      expect(await totp.verify(ctx, { code: appCode(secret, clock.now()) }, undefined)).toEqual({ kind: 'rejected', reason: 'wrong_secret' });
      expect(await totp.verify(ctx, { code: appCode(fresh, clock.now()) }, undefined)).toMatchObject({ kind: 'verified' });
    });

    test('ASVS-17 a revoked factor is refused at once and its row is erased; checked against the server clock only', async () => {
      const { account, secret, ctx, credentialId } = await enrolTotp();
      const stranger = await newAccount();
      expect(await enrolment.revokeOathCredential(stranger.id, credentialId)).toBe(false);
      expect(await enrolment.revokeOathCredential(account.id, credentialId)).toBe(true);
      expect(await rowsOf(account.id)).toHaveLength(0);
      expect(await totp.verify(ctx, { code: appCode(secret, clock.now()) }, undefined)).toEqual({ kind: 'rejected', reason: 'no_credential' });
      // The context's `now` (set by a caller) does not move the window: only the injected clock does.
      const { secret: s2, ctx: c2 } = await enrolTotp();
      const skewed = { ...c2, now: new Date(clock.now().getTime() + 10 * STEP_MS) };
      expect(await totp.verify(skewed, { code: appCode(s2, skewed.now) }, undefined)).toEqual({ kind: 'rejected', reason: 'wrong_secret' });
    });

    test('a blocked credential and an unidentified user are refused before any code is checked', async () => {
      const { secret, ctx, credentialId } = await enrolTotp();
      await container.repos.credentials.block(credentialId, clock.now(), null);
      expect(await totp.verify(ctx, { code: appCode(secret, clock.now()) }, undefined)).toEqual({ kind: 'rejected', reason: 'credential_blocked' });
      expect(await totp.verify(contextFor(null), { code: appCode(secret, clock.now()) }, undefined)).toEqual({ kind: 'rejected', reason: 'unknown_account' });
    });
  });

  describe('HOTP', () => {
    test('counter 0 is accepted on a fresh token, once', async () => {
      const { ctx } = await importToken(0);
      expect(await hotp.isEnrolled(ctx)).toBe(true);
      expect(tokenCode(0)).toBe('755224');
      expect(await hotp.verify(ctx, { code: '755224' }, undefined)).toMatchObject({ kind: 'verified', evidence: { kind: 'hotp', counter: 0, drift: 0 } });
      expect(await hotp.verify(ctx, { code: '755224' }, undefined)).toEqual({ kind: 'rejected', reason: 'replayed' });
      expect(await hotp.verify(ctx, { code: tokenCode(1) }, undefined)).toMatchObject({ kind: 'verified', evidence: { counter: 1 } });
    });

    test('an imported counter is the next one the token shows', async () => {
      const { ctx } = await importToken(7);
      expect(await hotp.verify(ctx, { code: tokenCode(6) }, undefined)).toMatchObject({ kind: 'rejected' });
      expect(await hotp.verify(ctx, { code: tokenCode(7) }, undefined)).toMatchObject({ kind: 'verified', evidence: { counter: 7, drift: 0 } });
    });

    test('look-ahead: 10 counters ahead of the last accepted one is accepted, 11 is refused', async () => {
      const { ctx } = await importToken(0);
      expect(await hotp.verify(ctx, { code: tokenCode(0) }, undefined)).toMatchObject({ kind: 'verified' });
      expect(await hotp.verify(ctx, { code: tokenCode(11) }, undefined)).toEqual({ kind: 'rejected', reason: 'wrong_secret' });
      expect(await hotp.verify(ctx, { code: tokenCode(10) }, undefined)).toMatchObject({ kind: 'verified', evidence: { counter: 10, drift: 9 } });
      expect(await hotp.verify(ctx, { code: tokenCode(5) }, undefined)).toEqual({ kind: 'rejected', reason: 'wrong_secret' });
    });

    test('RFC 4226 §7.4 resynchronisation with two consecutive codes 50 ahead; the old codes are then refused', async () => {
      const { ctx, credentialId } = await importToken(0);
      expect(await hotp.verify(ctx, { code: tokenCode(0) }, undefined)).toMatchObject({ kind: 'verified' });
      expect(await hotp.verify(ctx, { code: tokenCode(50) }, undefined)).toEqual({ kind: 'rejected', reason: 'wrong_secret' });
      expect(await hotp.resynchronise(ctx, credentialId, tokenCode(50), tokenCode(52))).toEqual({ kind: 'rejected', reason: 'wrong_secret' });

      const resynced = await hotp.resynchronise(ctx, credentialId, tokenCode(50), tokenCode(51));
      expect(resynced).toMatchObject({ kind: 'verified', evidence: { credentialId, counter: 51, drift: 50 } });
      expect(await hotp.resynchronise(ctx, credentialId, tokenCode(50), tokenCode(51))).toEqual({ kind: 'rejected', reason: 'wrong_secret' });
      expect(await hotp.verify(ctx, { code: tokenCode(51) }, undefined)).toEqual({ kind: 'rejected', reason: 'replayed' });
      for (const old of [1, 5, 10, 50]) expect(await hotp.verify(ctx, { code: tokenCode(old) }, undefined)).toMatchObject({ kind: 'rejected' });
      expect(await hotp.verify(ctx, { code: tokenCode(52) }, undefined)).toMatchObject({ kind: 'verified', evidence: { counter: 52 } });

      const other = await newAccount();
      expect(await hotp.resynchronise(contextFor(other), credentialId, tokenCode(60), tokenCode(61))).toEqual({ kind: 'rejected', reason: 'no_credential' });
    });

    test('PSD2-03 20 parallel submissions of one token code: exactly one is verified', async () => {
      const { ctx } = await importToken(0);
      const outcomes = await Promise.all(Array.from({ length: 20 }, () => hotp.verify(ctx, { code: tokenCode(3) }, undefined)));
      expect(outcomes.filter((o) => o.kind === 'verified')).toHaveLength(1);
    });

    test('N3-15 import refuses a seed under 128 bits, an ambiguous encoding and a serial already enrolled; the seed is sealed', async () => {
      const { account, serial } = await importToken(0);
      const other = await newAccount();
      await expect(enrolment.importHotpToken(other.id, { serial, secret: TOKEN_SECRET_HEX })).rejects.toMatchObject({ code: 'conflict' });
      await expect(enrolment.importHotpToken(other.id, { serial: 'SHORT-1', secret: randomBytes(15).toString('hex') })).rejects.toMatchObject({ code: 'bad_request' });
      await expect(enrolment.importHotpToken(other.id, { serial: 'AMBIG-1', secret: 'ABCDEF234567ABCDEF234567ABCDEF23' })).rejects.toMatchObject({ code: 'bad_request' });
      await expect(enrolment.importHotpToken(other.id, { serial: 'DIGITS-1', secret: TOKEN_SECRET_HEX, digits: 7 as 6 })).rejects.toMatchObject({ code: 'bad_request' });
      const b32 = await enrolment.importHotpToken(other.id, { serial: `B32-${randomBytes(3).toString('hex')}`, secret: 'GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ', digits: 6 });
      expect(b32).toMatchObject({ kind: 'hotp' });
      expect(await hotp.verify(contextFor(other), { code: '755224' }, undefined)).toMatchObject({ kind: 'verified', evidence: { credentialId: b32.id } });

      const rows = JSON.stringify(await rowsOf(account.id));
      expect(rows).toContain(`hotp:${serial}`);
      for (const form of [TOKEN_SECRET_HEX, 'GEZDGNBVGY3TQOJQ', '12345678901234567890']) expect(rows).not.toContain(form);
    });
  });
});

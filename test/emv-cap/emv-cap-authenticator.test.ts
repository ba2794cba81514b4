import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomBytes, randomInt } from 'node:crypto';
import { loadConfig } from '../../src/config/load.js';
import { createCoreContainer, type Container } from '../../src/container.js';
import { ManualClock } from '../../src/lib/clock.js';
import type { Account } from '../../src/domain/account.js';
import type { AuthContext } from '../../src/authenticators/contract.js';
import { createEmvCapAuthenticator, toMinorUnits, type EmvCapChallenge } from '../../src/authenticators/emv-cap/emv-cap-authenticator.js';
import { enrolCapCard, revokeCapCard } from '../../src/authenticators/emv-cap/enrol-cap-card.js';
import { emvCapSettingsSchema } from '../../src/authenticators/emv-cap/emv-cap-settings.js';
import { createSoftwareCardKeyOperations } from '../../src/authenticators/emv-cap/software-card-keys.js';
import { createDemoCard, DEMO_ISSUER_KEY, type DemoCardOptions } from '../../src/authenticators/emv-cap/simulator/demo-card.js';
import { createSimulatedCard, type SimulatedCard } from '../../src/authenticators/emv-cap/simulator/simulated-card.js';
import { createCapReader } from '../../src/authenticators/emv-cap/simulator/cap-reader.js';
import type { CapRequest } from '../../src/authenticators/emv-cap/cap-request.js';
import type { CapCardRecord } from '../../src/authenticators/emv-cap/cap-card-record.js';
import { createTestDatabase, testRedisPrefix, TEST_REDIS_URL } from '../helpers/services.js';

describe('EMV-CAP factor against Postgres', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let container: Container;
  const clock = new ManualClock(new Date('2031-05-04T10:00:00Z'));
  const keys = createSoftwareCardKeyOperations({ issuerKeys: createDemoCard().issuerKeys });
  let cap: ReturnType<typeof createEmvCapAuthenticator>;
  let challenges: string[];

  beforeAll(async () => {
    database = await createTestDatabase();
    container = await createCoreContainer(loadConfig({}, { databaseUrl: database.url, redisUrl: TEST_REDIS_URL, redisPrefix: testRedisPrefix(), logLevel: 'silent' }), { clock });
    challenges = [];
    cap = createEmvCapAuthenticator({
      factors: container.repos.factors,
      keys,
      randomChallenge: () => {
        const c = String(10_000_000 + challenges.length);
        challenges.push(c);
        return c;
      },
    });
  });
  afterAll(async () => {
    await container?.close();
    await database?.drop();
  });

  const contextFor = (account: Account | null, transaction?: AuthContext['transaction']): AuthContext => ({ flowId: 'flow', account, now: clock.now(), ip: '127.0.0.1', userAgent: 'jest', transaction });
  const rowOf = (id: string) => container.db('credentials').where({ id }).first();

  /** A user with a demo card enrolled, in a reader of the right model. */
  async function enrolledUser(options: DemoCardOptions = {}) {
    const account = await container.repos.accounts.create({ username: `cap-${randomBytes(5).toString('hex')}`, status: 'active' });
    const demo = createDemoCard({ pan: `49${String(randomInt(0, 1e14)).padStart(14, '0')}`, ...options });
    const { credential, kcv } = await enrolCapCard({ factors: container.repos.factors, keys }, { accountId: account.id, ...demo.enrolment });
    const card = createSimulatedCard(demo.card);
    const reader = createCapReader({ reader: demo.enrolment.profile.reader });
    const press = async (request: CapRequest, on: SimulatedCard = card) => {
      const r = await reader.generateCode(on, { pin: demo.card.pin, request });
      if (r.kind !== 'code') throw new Error(`reader refused: ${r.reason}`);
      return r.code;
    };
    return { account, ctx: contextFor(account), demo, card, press, credentialId: credential.id, kcv };
  }

  test('enrolment confirms the key with its check value and keeps the card sealed: no key or PAN in clear in the row', async () => {
    const account = await container.repos.accounts.create({ username: `cap-${randomBytes(5).toString('hex')}`, status: 'active' });
    const demo = createDemoCard({ keySource: 'imported' });
    const iccKey = demo.card.iccKey;
    const deps = { factors: container.repos.factors, keys };
    await expect(enrolCapCard(deps, { accountId: account.id, ...demo.enrolment, expectedKcv: 'BAB1' })).rejects.toMatchObject({ code: 'bad_request' });
    await expect(enrolCapCard(deps, { accountId: account.id, ...demo.enrolment, profile: { ...demo.enrolment.profile, ipb: '0000FFFFFFFFFF00000000000000FF00003E' } })).rejects.toThrow(/more than 8 digits/);
    const { credential, kcv } = await enrolCapCard(deps, { accountId: account.id, ...demo.enrolment, expectedKcv: 'BAB0' });
    expect(kcv).toMatch(/^BAB0[0-9A-F]{2}$/);
    const row = await rowOf(credential.id);
    const stored = JSON.stringify(row);
    for (const secret of [iccKey, iccKey.toLowerCase(), demo.enrolment.pan, DEMO_ISSUER_KEY]) expect(stored).not.toContain(secret);
    expect(row.sealed_data).toMatch(/^v1\./);
    expect(row.secret_hash).toBeNull();
    expect(row).toMatchObject({ kind: 'emv-cap', label: '•••• 3456' });
    expect(Number(row.counter)).toBe(demo.enrolment.lastAtc);
    expect(container.box.open(row.sealed_data)).toContain(iccKey);
    expect((await container.repos.factors.findById<CapCardRecord>(credential.id))?.data.key).toEqual({ kind: 'imported', key: iccKey });
  });

  test('login: begin gives a fresh 8-digit challenge; the Respond code verifies once, advances the counter and is recorded', async () => {
    const user = await enrolledUser();
    expect(cap).toMatchObject({ id: 'emv-cap', factors: ['possession', 'knowledge'], amr: ['otp', 'hwk', 'pin'], requiresAccount: true });
    expect(await cap.isEnrolled(user.ctx)).toBe(true);
    expect(await cap.isEnrolled(contextFor(null))).toBe(false);
    const challenge = await cap.begin(user.ctx);
    expect(challenge).toEqual({ mode: 'respond', challenge: expect.stringMatching(/^\d{8}$/) });
    const code = await user.press(challenge);
    const outcome = await cap.verify(user.ctx, { code }, challenge);
    expect(outcome).toEqual({ kind: 'verified', accountId: user.account.id, evidence: { credentialId: user.credentialId, atc: user.card.state().atc, mode: 'respond', resynchronised: false } });
    if (outcome.kind === 'verified') await cap.commit(user.ctx, outcome.evidence);
    const row = await rowOf(user.credentialId);
    expect(Number(row.counter)).toBe(user.card.state().atc);
    expect(row.last_used_at).toEqual(clock.now());
  });

  test('PSD2-03 CAP-02 the same CAP response submitted twice: the second is rejected as replayed', async () => {
    const user = await enrolledUser();
    const challenge = await cap.begin(user.ctx);
    const code = await user.press(challenge);
    expect(await cap.verify(user.ctx, { code }, challenge)).toMatchObject({ kind: 'verified' });
    expect(await cap.verify(user.ctx, { code }, challenge)).toEqual({ kind: 'rejected', reason: 'replayed' });
  });

  test('PSD2-03 20 concurrent submissions of one code: exactly one is verified', async () => {
    const user = await enrolledUser();
    const challenge = await cap.begin(user.ctx);
    const code = await user.press(challenge);
    const outcomes = await Promise.all(Array.from({ length: 20 }, () => cap.verify(user.ctx, { code }, challenge)));
    expect(outcomes.filter((o) => o.kind === 'verified')).toHaveLength(1);
    expect(outcomes.filter((o) => o.kind === 'rejected' && o.reason === 'replayed')).toHaveLength(19);
    expect(Number((await rowOf(user.credentialId)).counter)).toBe(user.card.state().atc);
  });

  test('CAP-02 wrong PIN gives no code; a code from the past and a jump past the window are rejected; two Identify codes resynchronise', async () => {
    const user = await enrolledUser();
    const reader = createCapReader({ reader: user.demo.enrolment.profile.reader });
    expect(await reader.generateCode(user.card, { pin: '0000', request: { mode: 'identify' } })).toMatchObject({ kind: 'refused', reason: 'wrong_pin' });
    const login = await cap.begin(user.ctx);
    const old = await user.press(login);
    const next = await cap.begin(user.ctx);
    expect(await cap.verify(user.ctx, { code: await user.press(next) }, next)).toMatchObject({ kind: 'verified' });
    expect(await cap.verify(user.ctx, { code: old }, login)).toEqual({ kind: 'rejected', reason: 'wrong_secret' });
    for (let i = 0; i < 50; i++) await user.press({ mode: 'identify' });
    const far = await cap.begin(user.ctx);
    expect(await cap.verify(user.ctx, { code: await user.press(far) }, far)).toEqual({ kind: 'rejected', reason: 'wrong_secret' });
    const first = await user.press({ mode: 'identify' });
    const second = await user.press({ mode: 'identify' });
    const resync = await cap.begin(user.ctx);
    expect(await cap.verify(user.ctx, { code: first, nextCode: second }, resync)).toMatchObject({ kind: 'verified', evidence: { atc: user.card.state().atc, mode: 'identify', resynchronised: true } });
    const after = await cap.begin(user.ctx);
    expect(await cap.verify(user.ctx, { code: await user.press(after) }, after)).toMatchObject({ kind: 'verified' });
  });

  test('CAP-03 a payment is signed in TDS mode with its amount and payee: a login code or another amount does not approve it', async () => {
    const user = await enrolledUser();
    const payment = contextFor(user.account, { amount: '1000.00', currency: 'EUR', payee: 'FR76 3000 4000 0500 0012 3456 789' });
    const sign = await cap.begin(payment);
    expect(sign).toEqual({ mode: 'sign', fields: ['100000', '0123456789'] });
    const login = await cap.begin(user.ctx);
    expect(await cap.verify(payment, { code: await user.press(login) }, sign)).toEqual({ kind: 'rejected', reason: 'wrong_secret' });
    const code = await user.press(sign);
    const other: EmvCapChallenge = { mode: 'sign', fields: [toMinorUnits('1000.01'), '0123456789'] };
    expect(await cap.verify(payment, { code }, other)).toEqual({ kind: 'rejected', reason: 'wrong_secret' });
    expect(await cap.verify(payment, { code }, sign)).toMatchObject({ kind: 'verified', evidence: { mode: 'sign' } });
    await expect(cap.verify(payment, { code: '1', nextCode: '2' }, sign)).rejects.toMatchObject({ code: 'bad_request' });
  });

  test('CAP-04 wrong CAP responses count toward the 5-attempt limit of the shared lockout; the card PIN try counter stays on the chip', async () => {
    const user = await enrolledUser();
    const credential = async () => (await container.repos.factors.findById(user.credentialId))!;
    for (let attempt = 1; attempt <= 5; attempt++) {
      const gate = await container.lockout.gate(await credential());
      expect(gate).toEqual({ kind: 'proceed', attempt });
      const challenge = await cap.begin(user.ctx);
      const wrong = String((Number(await user.press(challenge)) + 1) % 2 ** 26);
      expect(await cap.verify(user.ctx, { code: wrong }, challenge)).toEqual({ kind: 'rejected', reason: 'wrong_secret' });
      if (gate.kind === 'proceed') await container.lockout.recordFailure(await credential(), gate.attempt);
    }
    expect(await container.lockout.gate(await credential())).toMatchObject({ kind: 'blocked' });
    const challenge = await cap.begin(user.ctx);
    expect(await cap.verify(contextFor(user.account), { code: await user.press(challenge) }, challenge)).toEqual({ kind: 'rejected', reason: 'credential_blocked' });
    expect(user.card.state().pinTries).toBe(user.card.state().pinTryLimit);
  });

  test('PSD2-40 a revoked card is erased with its sealed key, and its codes no longer verify', async () => {
    const user = await enrolledUser();
    const challenge = await cap.begin(user.ctx);
    const code = await user.press(challenge);
    expect(await revokeCapCard({ factors: container.repos.factors }, user.credentialId)).toBe(true);
    expect(await rowOf(user.credentialId)).toBeUndefined();
    expect(await cap.verify(user.ctx, { code }, challenge)).toEqual({ kind: 'rejected', reason: 'no_credential' });
    expect(await cap.isEnrolled(user.ctx)).toBe(false);
  });

  test('no account, or an account without a card', async () => {
    const challenge = await cap.begin(contextFor(null));
    expect(await cap.verify(contextFor(null), { code: '1234567' }, challenge)).toEqual({ kind: 'rejected', reason: 'unknown_account' });
    const bare = await container.repos.accounts.create({ username: `cap-${randomBytes(5).toString('hex')}`, status: 'active' });
    expect(await cap.verify(contextFor(bare), { code: '1234567' }, challenge)).toEqual({ kind: 'rejected', reason: 'no_credential' });
    expect(cap.input.safeParse({ code: '12 34' }).success).toBe(false);
  });

  test('a card that cannot bind an amount is not asked to; a card at ATC FFFF is reported blocked, not wrong', async () => {
    const user = await enrolledUser({ profile: { ...createDemoCard().enrolment.profile, iaf: 0 } });
    const byAmount = createEmvCapAuthenticator({ factors: container.repos.factors, keys, settings: emvCapSettingsSchema.parse({ signMode: 'respond-with-amount' }) });
    const payment = contextFor(user.account, { amount: '12.50' });
    const challenge = await byAmount.begin(payment);
    expect(challenge).toEqual({ mode: 'respond', challenge: expect.stringMatching(/^\d{8}$/), amount: '1250' });
    expect(await byAmount.verify(payment, { code: '1234567' }, challenge)).toEqual({ kind: 'rejected', reason: 'no_credential' });
    expect(await container.repos.factors.advanceCounter(user.credentialId, 0xffff)).toBe(true);
    const login = await cap.begin(user.ctx);
    expect(await cap.verify(user.ctx, { code: '1234567' }, login)).toEqual({ kind: 'rejected', reason: 'credential_blocked' });
  });

  test('without a challenge only Identify can be judged, and only when it is the configured login mode', async () => {
    const user = await enrolledUser();
    const code = await user.press({ mode: 'identify' });
    expect(await cap.verify(user.ctx, { code })).toEqual({ kind: 'not-applicable' });
    const identify = createEmvCapAuthenticator({ factors: container.repos.factors, keys, settings: emvCapSettingsSchema.parse({ loginMode: 'identify' }) });
    expect(await identify.begin(user.ctx)).toEqual({ mode: 'identify' });
    expect(await identify.verify(user.ctx, { code })).toMatchObject({ kind: 'verified', evidence: { mode: 'identify' } });
  });
});

import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { loadConfig } from '../../src/config/load.js';
import { createCoreContainer, type Container } from '../../src/container.js';
import { ManualClock } from '../../src/lib/clock.js';
import type { Account } from '../../src/domain/account.js';
import type { AuthContext } from '../../src/authenticators/contract.js';
import { createWebAuthnAuthenticator, type AssertionChallenge } from '../../src/authenticators/webauthn/webauthn-authenticator.js';
import { createWebAuthnEnrolment, type WebAuthnEnrolment } from '../../src/authenticators/webauthn/enrolment.js';
import { resolveWebAuthnSettings, type WebAuthnSettingsInput } from '../../src/authenticators/webauthn/webauthn-settings.js';
import type { WebAuthnDependencies } from '../../src/authenticators/webauthn/webauthn-credential.js';
import type { TransactionDetails } from '../../src/authenticators/webauthn/transaction-challenge.js';
import { SoftwareAuthenticator } from './software-authenticator.js';
import { createTestDatabase, testRedisPrefix, TEST_REDIS_URL } from '../helpers/services.js';

const ORIGIN = 'http://localhost:3000';
const SETTINGS: WebAuthnSettingsInput = { enabled: true, rpId: 'localhost', rpName: 'Banque Test', origins: [ORIGIN] };
const payment: TransactionDetails = { amount: '1250.00', currency: 'EUR', payee: 'FR7630006000011234567890189' };

describe('WebAuthn factor against Postgres', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let container: Container;
  const clock = new ManualClock(new Date('2031-05-04T10:00:00Z'));
  let deps: WebAuthnDependencies;
  let webauthn: ReturnType<typeof createWebAuthnAuthenticator>;
  let enrolment: WebAuthnEnrolment;

  beforeAll(async () => {
    database = await createTestDatabase();
    container = await createCoreContainer(loadConfig({}, { databaseUrl: database.url, redisUrl: TEST_REDIS_URL, redisPrefix: testRedisPrefix(), logLevel: 'silent' }), { clock });
    deps = { factors: container.repos.factors, store: container.store, clock, settings: resolveWebAuthnSettings(SETTINGS) };
    webauthn = createWebAuthnAuthenticator(deps);
    enrolment = createWebAuthnEnrolment(deps);
  });
  afterAll(async () => {
    await container?.close();
    await database?.drop();
  });

  const newAccount = () => container.repos.accounts.create({ username: `u-${randomBytes(5).toString('hex')}`, status: 'active', givenName: 'Anne', familyName: 'Martin' });
  const contextFor = (account: Account | null, transaction?: TransactionDetails): AuthContext => ({ flowId: 'flow', account, now: clock.now(), ip: '127.0.0.1', userAgent: 'jest', transaction: transaction as AuthContext['transaction'] });
  const rowsOf = (accountId: string) => container.db('credentials').where({ account_id: accountId, kind: 'webauthn' }).select('*');

  /** A user with one passkey on a software authenticator. */
  async function enrol(device = new SoftwareAuthenticator(ORIGIN)) {
    const account = await newAccount();
    const { options, challenge } = await enrolment.beginRegistration(account, await enrolment.listWebAuthnCredentials(account.id));
    const { response, credential } = device.create(options);
    const outcome = await enrolment.finishRegistration(account.id, response, challenge, { label: 'Phone' });
    if (outcome.kind !== 'enrolled') throw new Error(`enrolment failed: ${outcome.detail}`);
    return { account, device, credential, summary: outcome.credential, ctx: contextFor(account) };
  }

  const assertWith = (device: SoftwareAuthenticator, challenge: AssertionChallenge, tweaks: Parameters<SoftwareAuthenticator['get']>[1] = {}) => ({ credential: device.get(challenge.options, tweaks) });
  const input = (x: ReturnType<typeof assertWith>) => webauthn.input.parse(x);

  describe('registration', () => {
    test('options ask for a discoverable credential, UV required, no attestation, ES256/EdDSA/RS256, and exclude enrolled passkeys', async () => {
      const { account, summary } = await enrol();
      const { options, challenge } = await enrolment.beginRegistration(account, await enrolment.listWebAuthnCredentials(account.id));
      expect(options.rp).toEqual({ id: 'localhost', name: 'Banque Test' });
      expect(options.authenticatorSelection).toMatchObject({ residentKey: 'preferred', userVerification: 'required' });
      expect(options.attestation).toBe('none');
      expect(options.pubKeyCredParams.map((p) => p.alg)).toEqual([-7, -8, -257]);
      expect(options.excludeCredentials).toEqual([{ id: summary.publicKeyCredentialId, transports: ['internal'], type: 'public-key' }]);
      expect(options.timeout).toBe(300_000);
      expect(options.user).toMatchObject({ name: account.username, displayName: 'Anne Martin' });
      expect(challenge).toMatchObject({ accountId: account.id, challenge: options.challenge, expiresAt: clock.now().getTime() + 300_000 });
      expect(Buffer.from(options.challenge, 'base64url').length).toBeGreaterThanOrEqual(16);
    });

    test('the passkey is stored sealed, with lookup = credential id, counter, transports, flags and aaguid', async () => {
      const { account, credential, summary } = await enrol();
      const [row] = await rowsOf(account.id);
      const credentialId = credential.id.toString('base64url');
      expect(row).toMatchObject({ kind: 'webauthn', lookup: credentialId, label: 'Phone' });
      expect(Number(row.counter)).toBe(0);
      const cose = credential.cosePublicKey.toString('base64url');
      expect(row.sealed_data).not.toContain(cose);
      expect(summary).toMatchObject({ publicKeyCredentialId: credentialId, transports: ['internal'], backupEligible: false, backedUp: false, aaguid: '00000000-0000-0000-0000-000000000000' });
      const stored = await container.repos.factors.findById<{ publicKey: string; userHandle: string }>(row.id);
      expect(stored!.data.publicKey).toBe(cose);
      expect(stored!.data.userHandle).toBe(Buffer.from(account.id).toString('base64url'));
      expect(await webauthn.isEnrolled(contextFor(account))).toBe(true);
      expect(await webauthn.isEnrolled(contextFor(await newAccount()))).toBe(false);
    });

    test('EBA-06 WA-01 a registration without user verification is refused and nothing is stored', async () => {
      const account = await newAccount();
      const { options, challenge } = await enrolment.beginRegistration(account, []);
      const { response } = new SoftwareAuthenticator(ORIGIN).create(options, { uv: false });
      expect(await enrolment.finishRegistration(account.id, response, challenge)).toMatchObject({ kind: 'rejected', detail: 'user_not_verified' });
      expect(await rowsOf(account.id)).toHaveLength(0);
    });

    test('N3-19 WA-01 a registration made on another origin or for another RP ID is refused', async () => {
      const account = await newAccount();
      const device = new SoftwareAuthenticator(ORIGIN);
      const first = await enrolment.beginRegistration(account, []);
      expect(await enrolment.finishRegistration(account.id, device.create(first.options, { origin: 'https://localhost.evil.example' }).response, first.challenge)).toMatchObject({ detail: 'origin_mismatch' });
      const second = await enrolment.beginRegistration(account, []);
      expect(await enrolment.finishRegistration(account.id, device.create(second.options, { rpId: 'evil.example' }).response, second.challenge)).toMatchObject({ detail: 'rp_id_mismatch' });
      expect(await rowsOf(account.id)).toHaveLength(0);
    });

    test('ASVS-19 WA-02 a registration challenge is spent by its first use and expires with the ceremony', async () => {
      const account = await newAccount();
      const device = new SoftwareAuthenticator(ORIGIN);
      const { options, challenge } = await enrolment.beginRegistration(account, []);
      const { response } = device.create(options);
      expect(await enrolment.finishRegistration(account.id, response, challenge)).toMatchObject({ kind: 'enrolled' });
      expect(await enrolment.finishRegistration(account.id, device.create(options).response, challenge)).toMatchObject({ kind: 'rejected', detail: 'challenge_reused' });
      const late = await enrolment.beginRegistration(account, []);
      clock.advance(301_000);
      expect(await enrolment.finishRegistration(account.id, device.create(late.options).response, late.challenge)).toMatchObject({ kind: 'rejected', detail: 'challenge_expired' });
      const other = await newAccount();
      const theirs = await enrolment.beginRegistration(other, []);
      expect(await enrolment.finishRegistration(account.id, device.create(theirs.options).response, theirs.challenge)).toMatchObject({ kind: 'rejected', detail: 'challenge_mismatch' });
      expect(await rowsOf(account.id)).toHaveLength(1);
    });

    test('a credential id already registered (to anyone) is refused; a response naming another id than the attested one is refused', async () => {
      const { device, credential } = await enrol();
      const other = await newAccount();
      const first = await enrolment.beginRegistration(other, []);
      expect(await enrolment.finishRegistration(other.id, device.create(first.options, { reuse: credential }).response, first.challenge)).toEqual({ kind: 'rejected', reason: 'wrong_secret', detail: 'already_registered' });
      const second = await enrolment.beginRegistration(other, []);
      const { response } = device.create(second.options);
      const renamed = { ...response, id: credential.id.toString('base64url'), rawId: credential.id.toString('base64url') };
      expect(await enrolment.finishRegistration(other.id, renamed, second.challenge)).toMatchObject({ kind: 'rejected', detail: 'invalid_response' });
      expect(await rowsOf(other.id)).toHaveLength(0);
    });

    test('malformed responses are outcomes, not exceptions', async () => {
      const account = await newAccount();
      for (const body of [null, 'not json', { id: 'x' }, JSON.stringify({ id: '!!', rawId: '!!', type: 'public-key', response: {} })]) {
        const { challenge } = await enrolment.beginRegistration(account, []);
        expect(await enrolment.finishRegistration(account.id, body, challenge)).toEqual({ kind: 'rejected', reason: 'wrong_secret', detail: 'invalid_response' });
      }
    });
  });

  describe('authentication', () => {
    test('PSD2-02 EBA-06 a known account signs in with its passkey: UV verified, counter advanced, use recorded', async () => {
      const { account, device, ctx, summary } = await enrol();
      const challenge = await webauthn.begin(ctx);
      expect(challenge.options.allowCredentials).toEqual([{ id: summary.publicKeyCredentialId, transports: ['internal'], type: 'public-key' }]);
      expect(challenge.options.userVerification).toBe('required');
      expect(challenge.state).toMatchObject({ accountId: account.id, nonce: null, transaction: null });
      const outcome = await webauthn.verify(ctx, input(assertWith(device, challenge)), challenge);
      expect(outcome).toEqual({
        kind: 'verified',
        accountId: account.id,
        evidence: { credentialId: summary.id, publicKeyCredentialId: summary.publicKeyCredentialId, newCounter: 1, userVerified: true, backupEligible: false, backedUp: false, amr: ['pop', 'user'], transactionHash: null },
      });
      expect(new Set(webauthn.factors).size).toBe(2);
      expect(webauthn.phishingResistant).toBe(true);
      if (outcome.kind !== 'verified') throw new Error('unreachable');
      await webauthn.commit(ctx, outcome.evidence);
      const stored = await container.repos.factors.findById(summary.id);
      expect(stored!.counter).toBe(1);
      expect(stored!.lastUsedAt).toEqual(clock.now());
    });

    test('usernameless: no account, empty allowCredentials, the discoverable passkey names its owner through userHandle', async () => {
      const { account, device } = await enrol();
      const challenge = await webauthn.beginAuthentication({});
      expect(challenge.options.allowCredentials ?? []).toEqual([]);
      expect(challenge.state.accountId).toBeNull();
      expect(webauthn.requiresAccount).toBe(false);
      expect(await webauthn.verify(contextFor(null), input(assertWith(device, challenge)), challenge)).toMatchObject({ kind: 'verified', accountId: account.id });

      const anonymous = await webauthn.beginAuthentication({});
      expect(await webauthn.verify(contextFor(null), input(assertWith(device, anonymous, { userHandle: null })), anonymous)).toMatchObject({ kind: 'rejected', detail: 'user_handle_mismatch' });
      const forged = await webauthn.beginAuthentication({});
      const someoneElse = Buffer.from((await newAccount()).id).toString('base64url');
      expect(await webauthn.verify(contextFor(null), input(assertWith(device, forged, { userHandle: someoneElse })), forged)).toMatchObject({ kind: 'rejected', detail: 'user_handle_mismatch' });
    });

    test('a passkey of another account is refused when the account is known', async () => {
      const alice = await enrol();
      const bob = await enrol();
      const challenge = await webauthn.begin(bob.ctx);
      const outcome = await webauthn.verify(bob.ctx, input({ credential: alice.device.get(challenge.options, { credential: alice.credential }) }), challenge);
      expect(outcome).toEqual({ kind: 'rejected', reason: 'no_credential', detail: 'other_account' });
    });

    test('PSD2-18 WA-03 a signature counter that does not increase is refused (possible clone), counter 0 included', async () => {
      const { device, ctx, summary } = await enrol();
      const ok = await webauthn.begin(ctx);
      expect(await webauthn.verify(ctx, input(assertWith(device, ok, { counter: 5 })), ok)).toMatchObject({ kind: 'verified', evidence: { newCounter: 5 } });
      for (const counter of [5, 4, 0]) {
        const challenge = await webauthn.begin(ctx);
        expect(await webauthn.verify(ctx, input(assertWith(device, challenge, { counter })), challenge)).toEqual({ kind: 'rejected', reason: 'counter_regression', detail: 'counter_regression' });
      }
      expect((await container.repos.factors.findById(summary.id))!.counter).toBe(5);
      const next = await webauthn.begin(ctx);
      expect(await webauthn.verify(ctx, input(assertWith(device, next, { counter: 6 })), next)).toMatchObject({ kind: 'verified', evidence: { newCounter: 6 } });
    });

    test('PSD2-18 WA-03 a clone racing the original with one counter value: exactly one assertion passes (atomic advance)', async () => {
      const { device, ctx } = await enrol();
      const challenges = await Promise.all(Array.from({ length: 8 }, () => webauthn.begin(ctx)));
      const outcomes = await Promise.all(challenges.map((c) => webauthn.verify(ctx, input(assertWith(device, c, { counter: 9 })), c)));
      expect(outcomes.filter((o) => o.kind === 'verified')).toHaveLength(1);
      expect(outcomes.filter((o) => o.kind === 'rejected' && 'detail' in o && o.detail === 'counter_regression')).toHaveLength(7);
    });

    test('authenticators without a counter (always 0, as synced passkeys) are accepted each time', async () => {
      const { device, ctx } = await enrol(new SoftwareAuthenticator(ORIGIN, { counterStep: 0 }));
      for (let i = 0; i < 3; i++) {
        const challenge = await webauthn.begin(ctx);
        expect(await webauthn.verify(ctx, input(assertWith(device, challenge)), challenge)).toMatchObject({ kind: 'verified', evidence: { newCounter: 0 } });
      }
    });

    test('EBA-06 WA-01 an assertion without user verification (UV=0) is refused: presence alone is one element', async () => {
      const { device, ctx } = await enrol();
      const challenge = await webauthn.begin(ctx);
      expect(await webauthn.verify(ctx, input(assertWith(device, challenge, { uv: false })), challenge)).toEqual({ kind: 'rejected', reason: 'wrong_secret', detail: 'user_not_verified' });
    });

    test('N3-21 an assertion without user presence (UP=0, no intent) is refused', async () => {
      const { device, ctx } = await enrol();
      const challenge = await webauthn.begin(ctx);
      expect(await webauthn.verify(ctx, input(assertWith(device, challenge, { up: false })), challenge)).toMatchObject({ kind: 'rejected', detail: 'user_not_present' });
    });

    test('N3-19 WA-01 an assertion made on another origin (phishing site) or for another RP ID is refused', async () => {
      const { device, ctx } = await enrol();
      const phished = await webauthn.begin(ctx);
      expect(await webauthn.verify(ctx, input(assertWith(device, phished, { origin: 'https://localhost-bank.example' })), phished)).toEqual({ kind: 'rejected', reason: 'wrong_secret', detail: 'origin_mismatch' });
      const relayed = await webauthn.begin(ctx);
      expect(await webauthn.verify(ctx, input(assertWith(device, relayed, { rpId: 'bank.example' })), relayed)).toMatchObject({ kind: 'rejected', detail: 'rp_id_mismatch' });
    });

    test('WA-01 PSD2-04 an altered clientDataJSON or signature does not verify', async () => {
      const { device, ctx } = await enrol();
      const challenge = await webauthn.begin(ctx);
      const { credential } = assertWith(device, challenge);
      const data = JSON.parse(Buffer.from(credential.response.clientDataJSON, 'base64url').toString());
      const altered = { ...credential, response: { ...credential.response, clientDataJSON: Buffer.from(JSON.stringify({ ...data, crossOrigin: false, extra: 1 })).toString('base64url') } };
      expect(await webauthn.verify(ctx, input({ credential: altered }), challenge)).toMatchObject({ kind: 'rejected', detail: 'bad_signature' });
      const again = await webauthn.begin(ctx);
      const good = assertWith(device, again).credential;
      const sig = Buffer.from(good.response.signature, 'base64url');
      sig[sig.length - 1]! ^= 1;
      const tampered = { ...good, response: { ...good.response, signature: sig.toString('base64url') } };
      expect(await webauthn.verify(ctx, input({ credential: tampered }), again)).toMatchObject({ kind: 'rejected' });
    });

    test('ASVS-19 WA-02 an assertion over another challenge is refused', async () => {
      const { device, ctx } = await enrol();
      const challenge = await webauthn.begin(ctx);
      const elsewhere = randomBytes(32).toString('base64url');
      expect(await webauthn.verify(ctx, input(assertWith(device, challenge, { challenge: elsewhere })), challenge)).toEqual({ kind: 'rejected', reason: 'wrong_secret', detail: 'challenge_mismatch' });
    });

    test('ASVS-19 PSD2-03 WA-02 a challenge is accepted once: the same assertion replayed is refused, even by a passkey without a counter', async () => {
      const { device, ctx } = await enrol(new SoftwareAuthenticator(ORIGIN, { counterStep: 0 }));
      const challenge = await webauthn.begin(ctx);
      expect(Buffer.from(challenge.options.challenge, 'base64url').length).toBeGreaterThanOrEqual(16);
      const assertion = input(assertWith(device, challenge));
      expect(await webauthn.verify(ctx, assertion, challenge)).toMatchObject({ kind: 'verified' });
      expect(await webauthn.verify(ctx, assertion, challenge)).toEqual({ kind: 'rejected', reason: 'replayed', detail: 'challenge_reused' });
      const racing = await webauthn.begin(ctx);
      const once = input(assertWith(device, racing));
      const outcomes = await Promise.all(Array.from({ length: 10 }, () => webauthn.verify(ctx, once, racing)));
      expect(outcomes.filter((o) => o.kind === 'verified')).toHaveLength(1);
    });

    test('WA-02 an assertion after the ceremony timeout is refused', async () => {
      const { device, ctx } = await enrol();
      const challenge = await webauthn.begin(ctx);
      clock.advance(301_000);
      expect(await webauthn.verify(ctx, input(assertWith(device, challenge)), challenge)).toMatchObject({ kind: 'rejected', detail: 'challenge_expired' });
    });

    test('the form may post the credential as JSON text; anything else fails validation before verify', () => {
      const credential = { id: 'abc', rawId: 'abc', type: 'public-key', response: { clientDataJSON: 'e30', authenticatorData: 'AA', signature: 'AA' } };
      expect(webauthn.input.safeParse({ credential: JSON.stringify(credential) }).success).toBe(true);
      expect(webauthn.input.safeParse({ credential: '{' }).success).toBe(false);
      expect(webauthn.input.safeParse({ credential: { ...credential, type: 'password' } }).success).toBe(false);
      expect(webauthn.input.safeParse({ credential: { ...credential, id: 'a'.repeat(2000) } }).success).toBe(false);
    });
  });

  describe('backup-eligible (synced) passkeys', () => {
    test('G-14 PSD2-18 with allowBackupEligible false, a synced passkey is refused at registration and at authentication', async () => {
      const strict = { ...deps, settings: resolveWebAuthnSettings({ ...SETTINGS, allowBackupEligible: false }) };
      const strictEnrolment = createWebAuthnEnrolment(strict);
      const strictAuth = createWebAuthnAuthenticator(strict);
      const synced = new SoftwareAuthenticator(ORIGIN, { backupEligible: true, backedUp: true, counterStep: 0 });

      const account = await newAccount();
      const { options, challenge } = await strictEnrolment.beginRegistration(account, []);
      expect(await strictEnrolment.finishRegistration(account.id, synced.create(options).response, challenge)).toEqual({ kind: 'rejected', reason: 'credential_blocked', detail: 'backup_eligible_refused' });
      expect(await rowsOf(account.id)).toHaveLength(0);

      // Registered while the setting allowed it, then the setting changed: no longer accepted.
      const { ctx, device } = await enrol(synced);
      const allowed = await webauthn.begin(ctx);
      expect(await webauthn.verify(ctx, input(assertWith(device, allowed)), allowed)).toMatchObject({ kind: 'verified', evidence: { backupEligible: true, backedUp: true, amr: ['swk', 'user'] } });
      const refused = await strictAuth.begin(ctx);
      expect(await strictAuth.verify(ctx, input(assertWith(device, refused)), refused)).toMatchObject({ kind: 'rejected', detail: 'backup_eligible_refused' });

      const deviceBound = await enrol(new SoftwareAuthenticator(ORIGIN));
      const fine = await strictAuth.begin(deviceBound.ctx);
      expect(await strictAuth.verify(deviceBound.ctx, input(assertWith(deviceBound.device, fine)), fine)).toMatchObject({ kind: 'verified', evidence: { amr: ['pop', 'user'] } });
    });

    test('a credential whose backup eligibility flips is refused (BE is fixed for a credential’s life)', async () => {
      const { device, ctx, credential } = await enrol();
      credential.backupEligible = true;
      const challenge = await webauthn.begin(ctx);
      expect(await webauthn.verify(ctx, input(assertWith(device, challenge)), challenge)).toMatchObject({ kind: 'rejected', detail: 'backup_eligibility_changed' });
    });

    test('commit records a change of backup state (BS)', async () => {
      const { device, ctx, credential, summary } = await enrol(new SoftwareAuthenticator(ORIGIN, { backupEligible: true }));
      credential.backedUp = true;
      const challenge = await webauthn.begin(ctx);
      const outcome = await webauthn.verify(ctx, input(assertWith(device, challenge)), challenge);
      if (outcome.kind !== 'verified') throw new Error(`not verified: ${outcome.detail}`);
      await webauthn.commit(ctx, outcome.evidence);
      expect((await enrolment.listWebAuthnCredentials(ctx.account!.id)).find((c) => c.id === summary.id)).toMatchObject({ backupEligible: true, backedUp: true });
    });
  });

  describe('dynamic linking', () => {
    test('PSD2-12 PSD2-13 the challenge commits to the transaction; the verifier recomputes it and accepts the proof for those details', async () => {
      const { account, device, ctx } = await enrol();
      const challenge = await webauthn.begin(contextFor(account, payment));
      expect(challenge.state).toMatchObject({ transaction: payment, accountId: account.id });
      expect(Buffer.from(challenge.state.nonce!, 'base64url')).toHaveLength(32);
      const outcome = await webauthn.verify(contextFor(account, { payee: payment.payee, currency: 'EUR', amount: '1250.00' }), input(assertWith(device, challenge)), challenge);
      expect(outcome).toMatchObject({ kind: 'verified', evidence: { transactionHash: expect.any(String) } });
      // The same details, authorised without their binding, are refused: an unbound proof authorises nothing.
      const unbound = await webauthn.begin(ctx);
      expect(await webauthn.verify(contextFor(account, payment), input(assertWith(device, unbound)), unbound)).toMatchObject({ kind: 'rejected', detail: 'transaction_mismatch' });
    });

    test('PSD2-14 the amount altered between the challenge and the proof invalidates it', async () => {
      const { account, device } = await enrol();
      const challenge = await webauthn.begin(contextFor(account, payment));
      const signed = input(assertWith(device, challenge));
      expect(await webauthn.verify(contextFor(account, { ...payment, amount: '9250.00' }), signed, challenge)).toEqual({ kind: 'rejected', reason: 'wrong_secret', detail: 'transaction_mismatch' });
      const again = await webauthn.begin(contextFor(account, payment));
      expect(await webauthn.verify(contextFor(account, undefined), input(assertWith(device, again)), again)).toMatchObject({ kind: 'rejected', detail: 'transaction_mismatch' });
      // A state whose stored details were altered (the flow store tampered with) fails the same way.
      const third = await webauthn.begin(contextFor(account, payment));
      const tampered = { ...third, state: { ...third.state, transaction: { ...payment, amount: '9250.00' } } };
      expect(await webauthn.verify(contextFor(account, { ...payment, amount: '9250.00' }), input(assertWith(device, third)), tampered)).toMatchObject({ kind: 'rejected', detail: 'transaction_mismatch' });
    });

    test('PSD2-13 a proof made for transaction A is refused for transaction B (another payee)', async () => {
      const { account, device } = await enrol();
      const paymentB = { ...payment, payee: 'DE89370400440532013000' };
      const a = await webauthn.begin(contextFor(account, payment));
      const b = await webauthn.begin(contextFor(account, paymentB));
      const proofForA = input(assertWith(device, a));
      expect(await webauthn.verify(contextFor(account, paymentB), proofForA, b)).toMatchObject({ kind: 'rejected', detail: 'challenge_mismatch' });
    });
  });

  describe('revocation', () => {
    test('PSD2-40 ASVS-17 a revoked passkey is deleted and immediately unusable, with or without a known account', async () => {
      const { account, device, ctx, summary } = await enrol();
      const pending = await webauthn.begin(ctx);
      const stranger = await newAccount();
      expect(await enrolment.revokeWebAuthnCredential(stranger.id, summary.id)).toBe(false);
      expect(await enrolment.revokeWebAuthnCredential(account.id, summary.id)).toBe(true);
      expect(await enrolment.revokeWebAuthnCredential(account.id, summary.id)).toBe(false);
      expect(await rowsOf(account.id)).toHaveLength(0);
      expect(await enrolment.listWebAuthnCredentials(account.id)).toEqual([]);
      expect(await webauthn.isEnrolled(ctx)).toBe(false);
      expect(await webauthn.verify(ctx, input(assertWith(device, pending)), pending)).toEqual({ kind: 'rejected', reason: 'no_credential', detail: 'unknown_credential' });
      const usernameless = await webauthn.beginAuthentication({});
      expect(await webauthn.verify(contextFor(null), input(assertWith(device, usernameless)), usernameless)).toMatchObject({ kind: 'rejected', detail: 'unknown_credential' });
    });

    test('PSD2-40 an administrator revokes every passkey of an account', async () => {
      const { account, device } = await enrol();
      const second = await enrolment.beginRegistration(account, await enrolment.listWebAuthnCredentials(account.id));
      expect(await enrolment.finishRegistration(account.id, device.create(second.options).response, second.challenge)).toMatchObject({ kind: 'enrolled' });
      expect(await enrolment.listWebAuthnCredentials(account.id)).toHaveLength(2);
      expect(await enrolment.revokeAllWebAuthnCredentials(account.id)).toHaveLength(2);
      expect(await rowsOf(account.id)).toHaveLength(0);
    });
  });
});

describe('WebAuthn settings', () => {
  test('N3-19 origins must be exact, secure and inside the RP ID; defaults are filled in and frozen', () => {
    const ok = resolveWebAuthnSettings({ rpId: 'bank.example', rpName: 'Bank', origins: ['https://login.bank.example', 'https://bank.example:8443'] });
    expect(ok).toMatchObject({ allowBackupEligible: true, userVerification: 'required', timeoutSeconds: 300, enabled: false });
    expect(Object.isFrozen(ok)).toBe(true);
    expect(() => resolveWebAuthnSettings({ rpId: 'bank.example', rpName: 'Bank', origins: ['https://bank.example.evil.com'] })).toThrow(/not within the RP ID/);
    expect(() => resolveWebAuthnSettings({ rpId: 'bank.example', rpName: 'Bank', origins: ['http://login.bank.example'] })).toThrow(/https/);
    expect(() => resolveWebAuthnSettings({ rpId: 'bank.example', rpName: 'Bank', origins: ['https://login.bank.example/'] })).toThrow(/exact origin/);
    expect(() => resolveWebAuthnSettings({ rpId: 'https://bank.example', rpName: 'Bank', origins: ['https://bank.example'] })).toThrow(/domain name/);
    expect(() => resolveWebAuthnSettings({ rpId: 'bank.example', rpName: 'Bank', origins: ['https://bank.example'], userVerification: 'preferred' as never })).toThrow();
    expect(resolveWebAuthnSettings({ rpId: 'localhost', rpName: 'Dev', origins: ['http://localhost:3000'] }).origins).toEqual(['http://localhost:3000']);
  });
});

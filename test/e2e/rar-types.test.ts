import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import * as oidc from 'openid-client';
import type { ClientMetadata } from 'oidc-provider';
import { startGuichet, seedBasics, TEST_CLIENT, type RunningGuichet } from '../helpers/guichet.js';
import { Browser, formOf, loginWithPassword } from '../helpers/browserless.js';
import { ManualClock } from '../../src/lib/clock.js';
import { createOathEnrolment } from '../../src/authenticators/oath/enrolment.js';
import { decodeBase32, generateTotp } from '../../src/authenticators/oath/oath-codes.js';

/**
 * The RFC 9396 types and the bank's sensitive operations as configuration (`rar.types`,
 * `rar.sensitiveOperations`): this deployment takes no payment batch, and its own list of operations
 * (one of the defaults, one it adds).
 */
const PASSWORD = 'correct horse battery staple';
const API = 'https://api.example.test/operations';
const clock = new ManualClock(new Date('2026-11-23T10:00:05Z'));
let g: RunningGuichet;
let rp: oidc.Configuration;
let secret: string;

const totp = () => {
  clock.advance(30_000);
  return generateTotp(decodeBase32(secret), clock.now(), { algorithm: 'SHA1', digits: 6, period: 30 });
};
const operation = (name: string) => ({ type: 'sensitive_operation', operation: name, description: 'Compte courant 0042' });
const batch = { type: 'payment_batch', totalAmount: { amount: '10.00', currency: 'EUR' }, numberOfPayments: 1, payments: [{ creditorName: 'A', creditorAccount: { iban: 'FR7630006000011234567890189' }, instructedAmount: { amount: '10.00', currency: 'EUR' } }] };

beforeAll(async () => {
  g = await startGuichet({ clock, config: { rar: { types: ['payment_initiation', 'sensitive_operation'], sensitiveOperations: ['manage_payees', 'close_account'] }, abuse: { captchaAfterFailures: 0 } } });
  await seedBasics(g);
  await g.admin.seed({ subscriptions: [], accounts: [], clients: [{ ...TEST_CLIENT, client_id: 'rar-rp', first_party: true, authorization_details_types: ['payment_initiation', 'sensitive_operation'], guichet_resource: API }] });
  const alice = await g.container.repos.accounts.findByIdentifier({ scheme: 'username', username: 'alice' });
  const enrolment = createOathEnrolment({ factors: g.container.repos.factors, clock });
  secret = enrolment.beginTotpEnrolment('alice', 'Guichet').secret;
  expect((await enrolment.confirmTotpEnrolment(alice!.id, secret, totp())).kind).toBe('enrolled');
  rp = await oidc.discovery(new URL(g.url), 'rar-rp', undefined, oidc.ClientSecretBasic(TEST_CLIENT.client_secret), { execute: [oidc.allowInsecureRequests] });
});
afterAll(async () => g?.stop());

async function push(details: object[]) {
  const response = await fetch(`${g.url}/request`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`rar-rp:${TEST_CLIENT.client_secret}`).toString('base64')}` },
    body: new URLSearchParams({ client_id: 'rar-rp', response_type: 'code', redirect_uri: TEST_CLIENT.redirect_uris[0]!, scope: 'openid', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256', authorization_details: JSON.stringify(details) }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('authorization details types as configuration (rar.types)', () => {
  test('RAR-05 a disabled type is absent from discovery', () => {
    expect(rp.serverMetadata().authorization_details_types_supported).toEqual(['payment_initiation', 'sensitive_operation']);
  });

  test('RAR-02 a disabled type is refused with invalid_authorization_details', async () => {
    expect(await push([batch])).toEqual({ status: 400, body: expect.objectContaining({ error: 'invalid_authorization_details' }) });
  });

  test('RAR-05 a client registering a disabled type is refused', async () => {
    const validate = (types: string[]) => g.container.provider.Client.validate({ ...TEST_CLIENT, client_id: 'candidate', authorization_details_types: types, guichet_resource: API } as unknown as ClientMetadata);
    await expect(validate(['payment_initiation', 'payment_batch'])).rejects.toMatchObject({ error: 'invalid_client_metadata' });
    await expect(validate(['payment_initiation', 'sensitive_operation'])).resolves.toBeUndefined();
  });
});

describe('sensitive operations as configuration (rar.sensitiveOperations)', () => {
  test('RAR-02 an operation outside the configured list is refused, a default one included', async () => {
    for (const name of ['order_cheque_books', 'empty_the_vault']) {
      const pushed = await push([operation(name)]);
      expect({ name, status: pushed.status, error: pushed.body.error }).toEqual({ name, status: 400, error: 'invalid_authorization_details' });
    }
    const query = new URL('/auth', g.url);
    for (const [k, v] of Object.entries({ client_id: 'rar-rp', response_type: 'code', scope: 'openid', redirect_uri: TEST_CLIENT.redirect_uris[0]!, code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256', authorization_details: JSON.stringify([operation('sepa_instant_transfer')]) })) query.searchParams.set(k, v);
    const refused = await new Browser(g.url).follow(query.href);
    expect(new URL(refused.url).searchParams.get('error')).toBe('invalid_authorization_details');
  });

  test('PSD2-11 an added operation is accepted, shown by its generic name with its code, and granted after SCA', async () => {
    const b = new Browser(g.url, { 'accept-language': 'en' });
    const verifier = oidc.randomPKCECodeVerifier();
    const details = [operation('close_account')];
    const url = await oidc.buildAuthorizationUrlWithPAR(rp, { redirect_uri: TEST_CLIENT.redirect_uris[0]!, scope: 'openid', code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', authorization_details: JSON.stringify(details) });
    const codePage = await loginWithPassword(b, url.href, 'alice', PASSWORD);
    expect(codePage.body).toContain('data-step="otp"');
    expect(codePage.body).toContain('data-detail="operation"');
    expect(codePage.body).toContain('Sensitive operation (code close_account)');
    expect(codePage.body).toContain('Compte courant 0042');
    const form = formOf(codePage.body, 'otp');
    const out = await b.follow(form.action, { form: { csrf: form.csrf, code: totp() } });
    const tokens = await oidc.authorizationCodeGrant(rp, new URL(out.url), { pkceCodeVerifier: verifier });
    expect(tokens.claims()!.acr).toBe('urn:guichet:loa:sca');
    expect(tokens.authorization_details).toEqual(details);
  });

  test('a configured default operation keeps its own name, in French too', async () => {
    const b = new Browser(g.url, { 'accept-language': 'fr' });
    const verifier = oidc.randomPKCECodeVerifier();
    const url = await oidc.buildAuthorizationUrlWithPAR(rp, { redirect_uri: TEST_CLIENT.redirect_uris[0]!, scope: 'openid', code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', authorization_details: JSON.stringify([operation('manage_payees')]) });
    const codePage = await loginWithPassword(b, url.href, 'alice', PASSWORD);
    expect(codePage.body).toContain('Gérer vos bénéficiaires');
  });
});

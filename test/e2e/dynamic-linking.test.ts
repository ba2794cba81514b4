import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import * as oidc from 'openid-client';
import { startGuichet, TEST_CLIENT, type RunningGuichet } from '../helpers/guichet.js';
import { Browser, formOf, type Page } from '../helpers/browserless.js';
import { ManualClock } from '../../src/lib/clock.js';
import { createDemoCard } from '../../src/authenticators/emv-cap/simulator/demo-card.js';
import { createSimulatedCard } from '../../src/authenticators/emv-cap/simulator/simulated-card.js';
import { createCapReader } from '../../src/authenticators/emv-cap/simulator/cap-reader.js';
import { createSoftwareCardKeyOperations } from '../../src/authenticators/emv-cap/software-card-keys.js';
import { enrolCapCard } from '../../src/authenticators/emv-cap/enrol-cap-card.js';
import type { CapRequest } from '../../src/authenticators/emv-cap/cap-request.js';
import { createOathEnrolment } from '../../src/authenticators/oath/enrolment.js';
import { decodeBase32, generateTotp } from '../../src/authenticators/oath/oath-codes.js';
import { capSignFields, parseDetail, type AuthorizationDetail } from '../../src/policy/authorization-details.js';

/**
 * Dynamic linking (PSD2 RTS art. 5, EMV-CAP.md §6.5): the code page shows what is authorised, the
 * card reader signs the amount and payee reference, and the server checks the code against the
 * details it holds for this very interaction. Details come through PAR, as a payment must.
 */
const PASSWORD = 'correct horse battery staple';
const RESOURCE = 'https://api.bank.test/payments';
const clock = new ManualClock(new Date('2026-11-23T10:00:05Z'));
const demo = createDemoCard();
const card = createSimulatedCard(demo.card);
const reader = createCapReader({ reader: demo.enrolment.profile.reader });
let g: RunningGuichet;
let cardRp: oidc.Configuration;
let passwordRp: oidc.Configuration;
let otpRp: oidc.Configuration;
let totpSecret: string;

const rarClient = { ...TEST_CLIENT, first_party: true, guichet_identifier_schemes: ['subscription'], authorization_details_types: ['payment_initiation', 'payment_batch', 'sensitive_operation'], guichet_resource: RESOURCE };

const payment = (amount: string, creditorName = 'Fournitures Martin', iban = 'FR7630006000011234567890189') => ({ type: 'payment_initiation', instructedAmount: { amount, currency: 'EUR' }, creditorName, creditorAccount: { iban } });
const batch = (secondIban: string) => ({
  type: 'payment_batch',
  totalAmount: { amount: '101', currency: 'EUR' },
  numberOfPayments: 2,
  payments: [
    { creditorName: 'Atelier Dupont', creditorAccount: { iban: 'FR7630006000011234567890189' }, instructedAmount: { amount: '100.10', currency: 'EUR' } },
    { creditorName: 'Bäckerei Schmidt', creditorAccount: { iban: secondIban }, instructedAmount: { amount: '0.90', currency: 'EUR' } },
  ],
});
const signFields = (detail: object): string[] => {
  const parsed = parseDetail(detail);
  if (!parsed.ok) throw new Error(parsed.problems.join('; '));
  return capSignFields([parsed.detail as AuthorizationDetail])!;
};

beforeAll(async () => {
  g = await startGuichet({ clock, config: { sca: { profile: 'psd2' }, emvCap: { issuerKeys: demo.issuerKeys }, abuse: { captchaAfterFailures: 0, perIdentifier: { points: 1000 }, perIp: { points: 1000 } } } });
  await g.admin.seed({
    subscriptions: [{ identifier: 'ENT-55', name: 'Entreprise' }],
    accounts: [{ subscription: 'ENT-55', userNumber: '7', status: 'active', emailVerified: false, locale: 'fr', roles: [], preferences: {}, password: PASSWORD, passwordMustChange: false }],
    clients: [
      { ...rarClient, client_id: 'bank-card', guichet_first_factor: 'card' },
      { ...rarClient, client_id: 'bank-password', guichet_first_factor: 'password', guichet_minimum_level: 'sca' },
      { ...rarClient, client_id: 'bank-otp', guichet_first_factor: 'password', guichet_minimum_level: 'sca', guichet_otp_for_payments: true },
    ],
  });
  const holder = await g.container.repos.accounts.findByIdentifier({ scheme: 'subscription', subscription: 'ENT-55', userNumber: '7' });
  await enrolCapCard({ factors: g.container.repos.factors, keys: createSoftwareCardKeyOperations({ issuerKeys: demo.issuerKeys }) }, { accountId: holder!.id, ...demo.enrolment });
  const enrolment = createOathEnrolment({ factors: g.container.repos.factors, clock });
  totpSecret = enrolment.beginTotpEnrolment('ENT-55 / 7', 'Guichet').secret;
  expect((await enrolment.confirmTotpEnrolment(holder!.id, totpSecret, totp())).kind).toBe('enrolled');
  const discover = (id: string) => oidc.discovery(new URL(g.url), id, undefined, oidc.ClientSecretBasic(TEST_CLIENT.client_secret), { execute: [oidc.allowInsecureRequests] });
  cardRp = await discover('bank-card');
  passwordRp = await discover('bank-password');
  otpRp = await discover('bank-otp');
});
afterAll(async () => g?.stop());

function totp(): string {
  clock.advance(30_000);
  return generateTotp(decodeBase32(totpSecret), clock.now(), { algorithm: 'SHA1', digits: 6, period: 30 });
}

/** An authorization request pushed by the client (RFC 9126), then followed by the browser. */
async function authorize(rp: oidc.Configuration, details: object[] | null, b = new Browser(g.url, { 'accept-language': 'fr' })) {
  const verifier = oidc.randomPKCECodeVerifier();
  const params: Record<string, string> = { redirect_uri: TEST_CLIENT.redirect_uris[0]!, scope: 'openid', code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' };
  if (details) params.authorization_details = JSON.stringify(details);
  const url = await oidc.buildAuthorizationUrlWithPAR(rp, params);
  return { b, verifier, first: await b.follow(url.href) };
}

/** The card client: identifier, then the code page. */
async function cardCodePage(details: object[] | null) {
  const { b, verifier, first } = await authorize(cardRp, details);
  const identify = formOf(first.body, 'identify');
  const page = await b.follow(identify.action, { form: { csrf: identify.csrf, subscription: 'ENT-55', user_number: '7' } });
  expect(page.body).toContain('data-step="otp"');
  return { b, verifier, page };
}

async function press(request: CapRequest): Promise<string> {
  const r = await reader.generateCode(card, { pin: '1234', request });
  if (r.kind !== 'code') throw new Error(`reader refused: ${r.reason}`);
  return r.code;
}

const submit = (b: Browser, page: Page, code: string) => {
  const form = formOf(page.body, 'otp');
  return b.follow(form.action, { form: { csrf: form.csrf, code } });
};

const attribute = (page: Page, name: string) => new RegExp(`data-step="otp"[^>]*${name}="([^"]*)"`).exec(page.body)?.[1];
const text = (page: Page) => page.body.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');

describe('dynamic linking (PSD2 RTS art. 5) with the card reader', () => {
  test('PSD2-11 the code page shows the amount, currency, payee name and IBAN from the pushed details, and asks for Sign', async () => {
    const { page } = await cardCodePage([payment('1234.56')]);
    const shown = text(page);
    expect(shown).toContain('1 234,56 €');
    expect(shown).toContain('Fournitures Martin');
    expect(shown).toContain('FR76 3000 6000 0112 3456 7890 189');
    expect(shown).toContain('Opération à autoriser');
    expect(page.body).toContain('data-amount="1234.56" data-currency="EUR"');
    expect(attribute(page, 'data-cap-mode')).toBe('sign');
    expect(attribute(page, 'data-cap-fields')).toBe('123456 67890189');
    expect(shown).toContain('« Sign »');
    // One-time codes may not approve a payment under the psd2 profile: the page asks for the reader only.
    expect(shown).toContain('Saisissez le code affiché par votre lecteur de carte.');
    expect(shown).not.toContain('application d’authentification');
  });

  test('PSD2-12 CAP-03 the Sign code for the details is accepted; amount + 0.01, a Respond and an Identify code are refused', async () => {
    const details = [payment('1234.56')];
    const { b, verifier, page } = await cardCodePage(details);
    const [amount, payee] = signFields(details[0]!);
    expect([amount, payee]).toEqual(['123456', '67890189']);

    const plusOneCent = await submit(b, page, await press({ mode: 'sign', fields: ['123457', payee!] }));
    expect(plusOneCent.status).toBe(401);
    // The UK "Sign" overlap (§6.5): Respond with the payee reference as challenge is another mode.
    const respond = await submit(b, plusOneCent, await press({ mode: 'respond', challenge: payee! }));
    expect(respond.status).toBe(401);
    const identify = await submit(b, respond, await press({ mode: 'identify' }));
    expect(identify.status).toBe(401);
    expect(attribute(identify, 'data-cap-fields')).toBe('123456 67890189');

    const out = await submit(b, identify, await press({ mode: 'sign', fields: [amount!, payee!] }));
    expect(out.url).toContain('code=');
    const tokens = await oidc.authorizationCodeGrant(cardRp, new URL(out.url), { pkceCodeVerifier: verifier });
    expect(tokens.claims()!.acr).toBe('urn:guichet:loa:sca');
    // RAR-03: the token response carries the authorised details, exactly as shown.
    expect((tokens as unknown as { authorization_details?: unknown }).authorization_details).toEqual(details);
  });

  test('PSD2-13 a code computed for payment A is refused in the flow of payment B (other payee), and still approves A', async () => {
    const a = [payment('250.00', 'Fournitures Martin', 'FR7630006000011234567890189')];
    const bDetails = [payment('250.00', 'Garage Leroy', 'DE89370400440532013000')];
    const flowA = await cardCodePage(a);
    const flowB = await cardCodePage(bDetails);
    expect(attribute(flowB.page, 'data-cap-fields')).not.toBe(attribute(flowA.page, 'data-cap-fields'));
    const codeForA = await press({ mode: 'sign', fields: signFields(a[0]!) });
    expect((await submit(flowB.b, flowB.page, codeForA)).status).toBe(401);
    expect((await submit(flowA.b, flowA.page, codeForA)).url).toContain('code=');
  });

  test('PSD2-16 a batch: the code is bound to the total and the payee-list reference; changing one payee changes the reference', async () => {
    const first = batch('DE89370400440532013000');
    const changed = batch('GB82WEST12345698765432');
    const one = await cardCodePage([first]);
    const shown = text(one.page);
    expect(shown).toContain('101,00 €');
    expect(shown).toContain('Atelier Dupont');
    expect(shown).toContain('Bäckerei Schmidt');
    expect(one.page.body).toContain('data-count="2"');
    expect(shown).toContain('Référence de la liste des bénéficiaires');
    const [total, reference] = signFields(first);
    expect(total).toBe('10100');
    expect(attribute(one.page, 'data-cap-fields')).toBe(`${total} ${reference}`);

    const two = await cardCodePage([changed]);
    const otherReference = attribute(two.page, 'data-cap-fields')!.split(' ')[1];
    expect(otherReference).toBe(signFields(changed)[1]);
    expect(otherReference).not.toBe(reference);

    const codeForFirst = await press({ mode: 'sign', fields: [total!, reference!] });
    expect((await submit(two.b, two.page, codeForFirst)).status).toBe(401);
    expect((await submit(one.b, one.page, codeForFirst)).url).toContain('code=');
  });

  test('CAP-03 a sensitive operation is shown in plain words and approved in Respond mode with a fresh, single-use challenge', async () => {
    const details = [{ type: 'sensitive_operation', operation: 'manage_payees', description: 'Ajout du bénéficiaire Garage Leroy' }];
    const { b, verifier, page } = await cardCodePage(details);
    expect(text(page)).toContain('Gérer vos bénéficiaires');
    expect(text(page)).toContain('Ajout du bénéficiaire Garage Leroy');
    expect(attribute(page, 'data-cap-mode')).toBe('respond');
    const challenge = attribute(page, 'data-cap-challenge')!;
    expect(challenge).toMatch(/^\d{8}$/);
    // A code for the challenge would do, but an Identify code does not; the challenge is then spent.
    const wrong = await submit(b, page, await press({ mode: 'identify' }));
    expect(wrong.status).toBe(401);
    const fresh = attribute(wrong, 'data-cap-challenge')!;
    expect(fresh).toMatch(/^\d{8}$/);
    expect(fresh).not.toBe(challenge);
    const stale = await submit(b, wrong, await press({ mode: 'respond', challenge }));
    expect(stale.status).toBe(401);
    const out = await submit(b, stale, await press({ mode: 'respond', challenge: attribute(stale, 'data-cap-challenge')! }));
    expect(out.url).toContain('code=');
    const tokens = await oidc.authorizationCodeGrant(cardRp, new URL(out.url), { pkceCodeVerifier: verifier });
    expect((tokens as unknown as { authorization_details?: unknown }).authorization_details).toEqual(details);
  });

  test('CS-08 a TOTP code cannot authorise a payment under the psd2 profile; it still completes a login without details', async () => {
    const login = async (details: object[] | null, rp = passwordRp) => {
      const { b, first } = await authorize(rp, details);
      const identify = formOf(first.body, 'identify');
      const pw = await b.follow(identify.action, { form: { csrf: identify.csrf, subscription: 'ENT-55', user_number: '7' } });
      const form = formOf(pw.body, 'password');
      const page = await b.follow(form.action, { form: { csrf: form.csrf, password: PASSWORD } });
      expect(page.body).toContain('data-step="otp"');
      return { b, page };
    };
    const paying = await login([payment('99.99')]);
    expect(text(paying.page)).toContain('Saisissez le code affiché par votre lecteur de carte.');
    const refused = await submit(paying.b, paying.page, totp());
    expect(refused.status).toBe(401);
    expect(refused.url).not.toContain('code=');

    const plain = await login(null);
    expect(attribute(plain.page, 'data-cap-mode')).toBe('identify');
    expect((await submit(plain.b, plain.page, totp())).url).toContain('code=');

    // A client whose policy allows one-time codes for payments (`guichet_otp_for_payments`) is offered them.
    const allowed = await login([payment('99.99')], otpRp);
    expect(text(allowed.page)).toContain('ou celui de votre application d’authentification');
    expect((await submit(allowed.b, allowed.page, totp())).url).toContain('code=');
  });
});

describe('card reader login in Respond mode (emvCap.loginMode = respond)', () => {
  let r: RunningGuichet;
  let rp: oidc.Configuration;
  beforeAll(async () => {
    r = await startGuichet({ clock, config: { sca: { profile: 'psd2' }, emvCap: { issuerKeys: demo.issuerKeys, loginMode: 'respond' }, abuse: { captchaAfterFailures: 0 } } });
    await r.admin.seed({
      subscriptions: [{ identifier: 'ENT-56', name: 'Entreprise' }],
      accounts: [{ subscription: 'ENT-56', userNumber: '7', status: 'active', emailVerified: false, locale: 'en', roles: [], preferences: {}, passwordMustChange: false }],
      clients: [{ ...rarClient, client_id: 'bank-card', guichet_first_factor: 'card' }],
    });
    const holder = await r.container.repos.accounts.findByIdentifier({ scheme: 'subscription', subscription: 'ENT-56', userNumber: '7' });
    await enrolCapCard({ factors: r.container.repos.factors, keys: createSoftwareCardKeyOperations({ issuerKeys: demo.issuerKeys }) }, { accountId: holder!.id, ...demo.enrolment, lastAtc: card.state().atc });
    rp = await oidc.discovery(new URL(r.url), 'bank-card', undefined, oidc.ClientSecretBasic(TEST_CLIENT.client_secret), { execute: [oidc.allowInsecureRequests] });
  });
  afterAll(async () => r?.stop());

  const loginPage = async () => {
    const b = new Browser(r.url, { 'accept-language': 'en' });
    const verifier = oidc.randomPKCECodeVerifier();
    const url = oidc.buildAuthorizationUrl(rp, { redirect_uri: TEST_CLIENT.redirect_uris[0]!, scope: 'openid', code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' });
    const first = await b.follow(url.href);
    const identify = formOf(first.body, 'identify');
    return { b, page: await b.follow(identify.action, { form: { csrf: identify.csrf, subscription: 'ENT-56', user_number: '7' } }) };
  };

  test('CAP-03 a login shows a fresh 8-digit challenge; an Identify code is refused, the Respond code for it accepted', async () => {
    const { b, page } = await loginPage();
    expect(attribute(page, 'data-cap-mode')).toBe('respond');
    const challenge = attribute(page, 'data-cap-challenge')!;
    expect(challenge).toMatch(/^\d{8}$/);
    expect(text(page)).toContain('press “Respond”');
    expect(page.body).not.toContain('class="transaction"');
    const refused = await submit(b, page, await press({ mode: 'identify' }));
    expect(refused.status).toBe(401);
    const out = await submit(b, refused, await press({ mode: 'respond', challenge: attribute(refused, 'data-cap-challenge')! }));
    expect(out.url).toContain('code=');
  });

  test('a challenge expires after 5 minutes (EMV-CAP.md §6.5): the code made for it is refused', async () => {
    const { b, page } = await loginPage();
    const code = await press({ mode: 'respond', challenge: attribute(page, 'data-cap-challenge')! });
    clock.advance(301_000);
    expect((await submit(b, page, code)).status).toBe(401);
  });
});

import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import * as oidc from 'openid-client';
import { startGuichet, TEST_CLIENT, type RunningGuichet } from '../helpers/guichet.js';
import { Browser, formOf, type Page } from '../helpers/browserless.js';
import { createDemoCard } from '../../src/authenticators/emv-cap/simulator/demo-card.js';
import { createSimulatedCard } from '../../src/authenticators/emv-cap/simulator/simulated-card.js';
import { createCapReader } from '../../src/authenticators/emv-cap/simulator/cap-reader.js';
import { createSoftwareCardKeyOperations } from '../../src/authenticators/emv-cap/software-card-keys.js';
import { enrolCapCard } from '../../src/authenticators/emv-cap/enrol-cap-card.js';

/** The bank's portal: client identifier + user number, then the card reader's CODE (card + PIN): SCA alone. */
const demo = createDemoCard();
const card = createSimulatedCard(demo.card);
const reader = createCapReader({ reader: demo.enrolment.profile.reader });
let g: RunningGuichet;
let rp: oidc.Configuration;

beforeAll(async () => {
  g = await startGuichet({ config: { emvCap: { issuerKeys: demo.issuerKeys }, abuse: { captchaAfterFailures: 0 } } });
  await g.admin.seed({
    subscriptions: [{ identifier: 'ENT-55', name: 'Entreprise' }],
    accounts: [
      { subscription: 'ENT-55', userNumber: '7', status: 'active', emailVerified: false, locale: 'fr', roles: [], preferences: {}, passwordMustChange: false },
      { subscription: 'ENT-55', userNumber: '8', status: 'active', emailVerified: false, locale: 'fr', roles: [], preferences: {}, passwordMustChange: false },
    ],
    clients: [{ ...TEST_CLIENT, client_id: 'bank-card', first_party: true, guichet_identifier_schemes: ['subscription'], guichet_first_factor: 'card' }],
  });
  const holder = await g.container.repos.accounts.findByIdentifier({ scheme: 'subscription', subscription: 'ENT-55', userNumber: '7' });
  await enrolCapCard({ factors: g.container.repos.factors, keys: createSoftwareCardKeyOperations({ issuerKeys: demo.issuerKeys }) }, { accountId: holder!.id, ...demo.enrolment });
  rp = await oidc.discovery(new URL(g.url), 'bank-card', undefined, oidc.ClientSecretBasic(TEST_CLIENT.client_secret), { execute: [oidc.allowInsecureRequests] });
});
afterAll(async () => g?.stop());

async function codePageFor(userNumber: string) {
  const verifier = oidc.randomPKCECodeVerifier();
  const url = oidc.buildAuthorizationUrl(rp, { redirect_uri: TEST_CLIENT.redirect_uris[0]!, scope: 'openid', code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' });
  const b = new Browser(g.url);
  const first = await b.follow(url.href);
  const identify = formOf(first.body, 'identify');
  const page = await b.follow(identify.action, { form: { csrf: identify.csrf, subscription: 'ENT-55', user_number: userNumber } });
  return { b, page, verifier };
}

async function press(pin = '1234'): Promise<string> {
  const r = await reader.generateCode(card, { pin, request: { mode: 'identify' } });
  if (r.kind !== 'code') throw new Error(`reader refused: ${r.reason}`);
  return r.code;
}

const submit = (b: Browser, page: Page, code: string) => {
  const form = formOf(page.body, 'otp');
  return b.follow(form.action, { form: { csrf: form.csrf, code } });
};

describe('card reader login (EMV-CAP identify mode)', () => {
  test('PSD2-03 identifier then the reader code gives SCA by itself: acr sca, amr otp hwk pin', async () => {
    const { b, page, verifier } = await codePageFor('7');
    expect(page.body).toContain('data-step="otp"');
    const out = await submit(b, page, await press());
    const tokens = await oidc.authorizationCodeGrant(rp, new URL(out.url), { pkceCodeVerifier: verifier });
    expect(tokens.claims()!.acr).toBe('urn:guichet:loa:sca');
    expect(tokens.claims()!.amr).toEqual(expect.arrayContaining(['otp', 'hwk', 'pin']));
  });

  test('PSD2-03 a code is accepted once; an older code is refused', async () => {
    const older = await press();
    const newer = await press();
    const first = await codePageFor('7');
    expect((await submit(first.b, first.page, newer)).url).toContain('code=');
    const again = await codePageFor('7');
    expect((await submit(again.b, again.page, newer)).status).toBe(401);
    const past = await codePageFor('7');
    expect((await submit(past.b, past.page, older)).status).toBe(401);
  });

  test('a wrong PIN gives no code at all; an account without a card and an unknown one read the same', async () => {
    expect(await reader.generateCode(card, { pin: '9999', request: { mode: 'identify' } })).toMatchObject({ kind: 'refused' });
    const strip = (p: Page) => p.body.replace(/\/interaction\/[\w-]+/g, '').replace(/value="[^"]*"/g, '').replace(/ENT-55 \/ \d+/g, '');
    const noCard = await codePageFor('8');
    const unknown = await codePageFor('99');
    expect(strip(noCard.page)).toBe(strip(unknown.page));
    const code = await press();
    const a = await submit(noCard.b, noCard.page, code);
    const b = await submit(unknown.b, unknown.page, code);
    expect(a.status).toBe(401);
    expect(b.status).toBe(401);
    expect(strip(a)).toBe(strip(b));
  });
});

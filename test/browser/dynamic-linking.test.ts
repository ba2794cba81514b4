/**
 * Dynamic linking in a real browser (PSD2 RTS art. 5(1)(d), PSD2-14): the amount is altered between
 * the request and the proof — the relying party starts a second authorization with another amount —
 * and the card-reader code made for the first is refused; the code page with details is axe-clean.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { Page } from 'playwright-core';
import { startGuichet, TEST_CLIENT, type RunningGuichet } from '../helpers/guichet.js';
import { expectNoAxeViolations, redeemCode, useChromium, waitForCallback } from '../helpers/browser.js';
import { createDemoCard } from '../../src/authenticators/emv-cap/simulator/demo-card.js';
import { createSimulatedCard } from '../../src/authenticators/emv-cap/simulator/simulated-card.js';
import { createCapReader } from '../../src/authenticators/emv-cap/simulator/cap-reader.js';
import { createSoftwareCardKeyOperations } from '../../src/authenticators/emv-cap/software-card-keys.js';
import { enrolCapCard } from '../../src/authenticators/emv-cap/enrol-cap-card.js';
import { createHash, randomBytes } from 'node:crypto';

const CLIENT = { ...TEST_CLIENT, client_id: 'bank-card', client_name: 'Banque en ligne' };
const demo = createDemoCard();
const card = createSimulatedCard(demo.card);
const reader = createCapReader({ reader: demo.enrolment.profile.reader });
const chromium = useChromium();
let g: RunningGuichet;

const payment = (amount: string) => ({ type: 'payment_initiation', instructedAmount: { amount, currency: 'EUR' }, creditorName: 'Fournitures Martin', creditorAccount: { iban: 'FR7630006000011234567890189' } });

beforeAll(async () => {
  g = await startGuichet({ config: { sca: { profile: 'psd2' }, emvCap: { issuerKeys: demo.issuerKeys }, abuse: { captchaAfterFailures: 0 } } });
  await g.admin.seed({
    subscriptions: [{ identifier: 'ENT-55', name: 'Entreprise' }],
    accounts: [{ subscription: 'ENT-55', userNumber: '7', status: 'active', emailVerified: false, locale: 'fr', roles: [], preferences: {}, passwordMustChange: false }],
    clients: [
      {
        ...CLIENT,
        first_party: true,
        guichet_identifier_schemes: ['subscription'],
        guichet_first_factor: 'card',
        authorization_details_types: ['payment_initiation'],
        guichet_resource: 'https://api.bank.test/payments',
      },
    ],
  });
  const holder = await g.container.repos.accounts.findByIdentifier({ scheme: 'subscription', subscription: 'ENT-55', userNumber: '7' });
  await enrolCapCard({ factors: g.container.repos.factors, keys: createSoftwareCardKeyOperations({ issuerKeys: demo.issuerKeys }) }, { accountId: holder!.id, ...demo.enrolment });
}, 60_000);
afterAll(async () => g?.stop());

/** The relying party pushes the request (RFC 9126) and sends the browser to /auth with its request_uri. */
async function pushedAuthorization(details: object[]): Promise<{ url: string; verifier: string }> {
  const verifier = randomBytes(32).toString('base64url');
  const response = await fetch(`${g.url}/request`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${CLIENT.client_id}:${CLIENT.client_secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      client_id: CLIENT.client_id,
      response_type: 'code',
      scope: 'openid',
      redirect_uri: CLIENT.redirect_uris[0]!,
      state: randomBytes(12).toString('base64url'),
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
      authorization_details: JSON.stringify(details),
    }),
  });
  expect({ status: response.status, body: response.status === 201 ? null : await response.text() }).toEqual({ status: 201, body: null });
  const { request_uri } = (await response.json()) as { request_uri: string };
  return { url: `${g.url}/auth?${new URLSearchParams({ client_id: CLIENT.client_id, request_uri })}`, verifier };
}

async function codePageFor(page: Page, details: object[]) {
  const request = await pushedAuthorization(details);
  await page.goto(request.url);
  await page.fill('#subscription', 'ENT-55');
  await page.fill('#user_number', '7');
  await Promise.all([page.waitForURL(/\/interaction\//), page.click('form[data-step="identify"] button[type="submit"]')]);
  await page.waitForSelector('form[data-step="otp"]');
  return request;
}

async function signCode(fields: string): Promise<string> {
  const r = await reader.generateCode(card, { pin: '1234', request: { mode: 'sign', fields: fields.split(' ') } });
  if (r.kind !== 'code') throw new Error(`reader refused: ${r.reason}`);
  return r.code;
}

describe('dynamic linking in the browser', () => {
  test('PSD2-14 the amount altered between request and proof: the first request’s code is refused, a new code is needed', async () => {
    const page = await chromium.newPage();
    await codePageFor(page, [payment('1234.56')]);
    const firstFields = (await page.getAttribute('form[data-step="otp"]', 'data-cap-fields'))!;
    expect(firstFields).toBe('123456 67890189');
    const codeForFirst = await signCode(firstFields);

    // The relying party (or someone in between) now asks for another amount.
    const altered = await codePageFor(page, [payment('1234.57')]);
    expect((await page.textContent('section.transaction'))!.replace(/\s+/g, ' ')).toContain('1 234,57 €');
    const alteredFields = (await page.getAttribute('form[data-step="otp"]', 'data-cap-fields'))!;
    expect(alteredFields).toBe('123457 67890189');

    await page.fill('#code', codeForFirst);
    await Promise.all([page.waitForLoadState('load'), page.click('form[data-step="otp"] button[type="submit"]')]);
    await page.waitForSelector('[role="alert"]');
    expect(page.url()).toContain('/interaction/');
    expect(await page.getAttribute('#code', 'aria-invalid')).toBe('true');

    const callback = waitForCallback(page);
    await page.fill('#code', await signCode(alteredFields));
    await page.click('form[data-step="otp"] button[type="submit"]');
    const params = await callback;
    const token = await redeemCode(g.url, params.get('code')!, altered.verifier, CLIENT);
    expect(token.status).toBe(200);
    expect(token.body.authorization_details).toEqual([payment('1234.57')]);
  });

  test('the code page with a payment is axe-clean and reflows at 320 px', async () => {
    const page = await chromium.newPage({ viewport: { width: 320, height: 640 } });
    await codePageFor(page, [{ ...payment('98765.43'), remittanceInformationUnstructured: 'Facture 2026-118' }]);
    await expectNoAxeViolations(page, 'code page with payment details');
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(320);
    await page.fill('#code', '1');
    await Promise.all([page.waitForLoadState('load'), page.click('form[data-step="otp"] button[type="submit"]')]);
    await page.waitForSelector('[role="alert"]');
    await expectNoAxeViolations(page, 'code page with payment details and an error');
  });
});

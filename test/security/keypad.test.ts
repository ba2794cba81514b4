import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import { startGuichet, TEST_CLIENT, type RunningGuichet } from '../helpers/guichet.js';
import { Browser, formOf, type Page } from '../helpers/browserless.js';

let g: RunningGuichet;
const PIN = '739201';

beforeAll(async () => {
  g = await startGuichet({ config: { abuse: { captchaAfterFailures: 0 } } });
  await g.admin.seed({
    subscriptions: [{ identifier: 'BANK-7', name: 'Bank customer' }],
    accounts: [{ subscription: 'BANK-7', userNumber: '0042', status: 'active', emailVerified: false, locale: 'fr', roles: [], preferences: {}, pin: PIN, passwordMustChange: false }],
    clients: [{ ...TEST_CLIENT, client_id: 'bank', first_party: true, guichet_identifier_schemes: ['subscription'], guichet_first_factor: 'pin', guichet_scrambled_keypad: true }],
  });
});
afterAll(async () => g?.stop());

async function pinPage(): Promise<{ b: Browser; page: Page }> {
  const verifier = randomBytes(32).toString('base64url');
  const b = new Browser(g.url);
  const first = await b.follow(`${g.url}/auth?${new URLSearchParams({ client_id: 'bank', response_type: 'code', scope: 'openid', redirect_uri: TEST_CLIENT.redirect_uris[0]!, code_challenge: createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256' })}`);
  const identify = formOf(first.body, 'identify');
  return { b, page: await b.follow(identify.action, { form: { csrf: identify.csrf, subscription: 'bank-7', user_number: '0042' } }) };
}

const layoutOf = (body: string) => Object.fromEntries([...body.matchAll(/name="key" value="(\d)" class="key">(\d)</g)].map((m) => [m[2]!, m[1]!]));

async function press(b: Browser, page: Page, digits: string): Promise<Page> {
  let current = page;
  for (const digit of digits) {
    const form = formOf(current.body, 'pin-keypad');
    const slot = layoutOf(current.body)[digit]!;
    current = await b.follow(form.action, { form: { csrf: form.csrf, key: slot } });
  }
  return current;
}

describe('the scrambled keypad for confidential codes', () => {
  test('ten keys in a new order at every page, beside the ordinary field', async () => {
    const { b, page } = await pinPage();
    expect(page.body).toContain('data-step="pin-keypad"');
    expect(page.body).toContain('data-step="pin"');
    expect(page.body).toMatch(/<input id="pin" name="pin"/);
    const first = layoutOf(page.body);
    expect(Object.keys(first).sort()).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    const orders = new Set<string>([JSON.stringify(first)]);
    for (let i = 0; i < 4; i++) orders.add(JSON.stringify(layoutOf((await b.follow(new URL(page.url).pathname)).body)));
    expect(orders.size).toBeGreaterThan(1);
    expect(page.body).not.toContain(PIN);
  });

  test('keys carry slots, not digits; erase removes one; the full code logs in', async () => {
    const { b, page } = await pinPage();
    const afterTwo = await press(b, page, '73');
    expect(afterTwo.body).toContain('2 chiffre(s) saisi(s) sur 6');
    const erase = formOf(afterTwo.body, 'pin-keypad');
    const afterErase = await b.follow(erase.action, { form: { csrf: erase.csrf, key: 'erase' } });
    expect(afterErase.body).toContain('1 chiffre(s) saisi(s) sur 6');
    const done = await press(b, afterErase, '39201');
    expect(done.url).toContain('code=');
  });

  test('a wrong code typed on the keypad is a failed attempt like any other', async () => {
    const { b, page } = await pinPage();
    const out = await press(b, page, '111111');
    expect(out.status).toBe(401);
    expect(out.body).toContain('Identifiant ou code confidentiel incorrect.');
  });

  test('the ordinary field remains the accessible way in', async () => {
    const { b, page } = await pinPage();
    const form = formOf(page.body, 'pin');
    const out = await b.follow(form.action, { form: { csrf: form.csrf, pin: PIN } });
    expect(out.url).toContain('code=');
  });
});

import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import { startGuichet, type RunningGuichet } from '../helpers/guichet.js';
import { Browser, formOf, stepOf, type Page } from '../helpers/browserless.js';
import { ManualClock } from '../../src/lib/clock.js';
import { DEMO_CLIENT_ID, DEMO_CREDENTIALS, DEMO_TOTP_SECRET } from '../../src/admin/demo-fixture.js';
import { decodeBase32, generateTotp } from '../../src/authenticators/oath/oath-codes.js';

// Each code is used once: the clock moves a time step before every one.
const clock = new ManualClock(new Date());
let g: RunningGuichet;
let demoAccountId: string;
const SCA = 'urn:guichet:loa:sca';
const IBAN = 'FR7630006000011234567890189';

beforeAll(async () => {
  g = await startGuichet({ clock, config: { seedDemo: true, abuse: { captchaAfterFailures: 0 } } });
  demoAccountId = (await g.container.repos.accounts.findByIdentifier({ scheme: 'username', username: 'demo' }))!.id;
});
afterAll(async () => g?.stop());

const totp = () => {
  clock.advance(30_000);
  return generateTotp(decodeBase32(DEMO_TOTP_SECRET), clock.now(), { algorithm: 'SHA1', digits: 6, period: 30 });
};

/** An access token minted in-process for the demo client, outside any login: it carries no acr. */
async function mint(): Promise<string> {
  const { provider } = g.container;
  const client = await provider.Client.find(DEMO_CLIENT_ID);
  // No grant: introspection then checks none (an in-process token, not one of a login).
  const properties = { accountId: demoAccountId, client: client!, scope: 'openid', gty: 'authorization_code' };
  return new provider.AccessToken(properties as unknown as ConstructorParameters<typeof provider.AccessToken>[0]).save();
}

const api = (path: string, token: string, body?: unknown) =>
  fetch(`${g.url}/demo/api${path}`, { method: body === undefined ? 'GET' : 'POST', headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body === undefined ? undefined : JSON.stringify(body) });

/** Signs in to the demo with the password (silently when the browser already has a Guichet session). */
async function signIn(b: Browser): Promise<Page> {
  const start = await b.follow('/demo/login');
  if (stepOf(start.body) !== 'identify') return start;
  const identify = formOf(start.body, 'identify');
  const pw = formOf((await b.follow(identify.action, { form: { csrf: identify.csrf, identifier: 'demo' } })).body, 'password');
  return b.follow(pw.action, { form: { csrf: pw.csrf, password: DEMO_CREDENTIALS[0].password } });
}

/** Follows redirects like Browser.follow, but stops before the demo's callback: the test redeems the code. */
async function untilCallback(b: Browser, url: string, init?: Parameters<Browser['request']>[1]): Promise<Page> {
  let response = await b.request(url, init);
  let current = new URL(url, g.url).href;
  for (let hops = 0; hops < 20 && response.status >= 300 && response.status < 400; hops++) {
    current = new URL(response.headers.get('location')!, current).href;
    if (current.startsWith(`${g.url}/demo/callback`)) break;
    response = await b.request(current);
  }
  return { status: response.status, url: current, body: await response.text(), headers: response.headers };
}

/**
 * A code flow as the demo client, driven by the test (its own PKCE; pushed when `pushed`), through
 * whichever login pages come; returns the token response.
 */
async function demoTokens(b: Browser, extra: Record<string, string>, pushed = false): Promise<{ access_token: string; authorization_details?: unknown[] }> {
  const verifier = randomBytes(32).toString('base64url');
  const params = new URLSearchParams({ client_id: DEMO_CLIENT_ID, response_type: 'code', scope: 'openid', redirect_uri: `${g.url}/demo/callback`, code_challenge: createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256', ...extra });
  let url = `/auth?${params}`;
  if (pushed) {
    const answer = await fetch(`${g.url}/request`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: params });
    url = `/auth?${new URLSearchParams({ client_id: DEMO_CLIENT_ID, request_uri: ((await answer.json()) as { request_uri: string }).request_uri })}`;
  }
  let page = await untilCallback(b, url);
  for (let i = 0; i < 5 && !page.url.startsWith(`${g.url}/demo/callback`); i++) {
    const step = stepOf(page.body)!;
    const form = formOf(page.body, step);
    const fields: Record<string, string> = step === 'identify' ? { identifier: 'demo' } : step === 'password' ? { password: DEMO_CREDENTIALS[0].password } : { code: totp() };
    page = await untilCallback(b, form.action, { form: { csrf: form.csrf, ...fields } });
  }
  const code = new URL(page.url).searchParams.get('code')!;
  const response = await fetch(`${g.url}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'authorization_code', code, code_verifier: verifier, client_id: DEMO_CLIENT_ID, redirect_uri: `${g.url}/demo/callback` }) });
  return (await response.json()) as { access_token: string; authorization_details?: unknown[] };
}

describe('the demo resource server (RFC 9470)', () => {
  test('ASVS-20 a token without acr is the lowest level: refused with insufficient_user_authentication', async () => {
    const token = await mint();
    const response = await api('/accounts', token);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer error="insufficient_user_authentication"/);
    const none = await fetch(`${g.url}/demo/api/accounts`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toContain('error="invalid_token"');
    const simple = await api('/accounts', (await demoTokens(new Browser(g.url), {})).access_token);
    expect(simple.status).toBe(200);
    expect(((await simple.json()) as { accounts: unknown[] }).accounts).toHaveLength(2);
  });

  test('PSD2-28 adding a payee with a non-SCA token is challenged, and allowed after the step-up', async () => {
    const b = new Browser(g.url, { 'accept-language': 'en' });
    const refused = await api('/payees', (await demoTokens(b, {})).access_token, { name: 'Fournitures Martin', iban: IBAN });
    expect(refused.status).toBe(401);
    const header = refused.headers.get('www-authenticate')!;
    expect(header).toContain('error="insufficient_user_authentication"');
    expect(header).toContain(`acr_values="${SCA}"`);

    const home = await signIn(b);
    expect(home.body).toContain('id="accounts"');
    const form = formOf(home.body, 'demo-payee');
    const asked = await b.request(form.action, { form: { csrf: form.csrf, payee_name: 'Fournitures Martin', payee_iban: 'FR76 3000 6000 0112 3456 7890 189' } });
    expect(asked.status).toBe(302);
    const location = asked.headers.get('location')!;
    expect(location).toMatch(/^\/auth\?client_id=guichet-demo&request_uri=/);
    const codePage = await b.follow(location);
    expect(stepOf(codePage.body)).toBe('otp');
    const otp = formOf(codePage.body, 'otp');
    const done = await b.follow(otp.action, { form: { csrf: otp.csrf, code: totp() } });
    expect(done.url).toContain('/demo?notice=payee_added');
    expect(done.body).toContain('data-notice="payee_added"');
    expect(done.body).toContain(`Fournitures Martin ${IBAN}`);
  });

  test('PSD2-14 a transfer runs only with exactly the authorised amount and payee, once', async () => {
    const b = new Browser(g.url, { 'accept-language': 'en' });
    await signIn(b);
    const detail = { type: 'payment_initiation', instructedAmount: { amount: '125.40', currency: 'EUR' }, creditorName: 'Fournitures Martin', creditorAccount: { iban: IBAN } };
    const tokens = await demoTokens(b, { authorization_details: JSON.stringify([detail]) }, true);
    expect(tokens.authorization_details).toEqual([detail]);
    const transfer = { amount: '125.40', currency: 'EUR', creditorName: 'Fournitures Martin', iban: IBAN };
    for (const altered of [{ ...transfer, amount: '1254.00' }, { ...transfer, iban: 'DE89370400440532013000' }, { ...transfer, creditorName: 'Someone Else' }]) {
      const refused = await api('/transfers', tokens.access_token, altered);
      expect(refused.status).toBe(403);
      expect(((await refused.json()) as { error: string }).error).toBe('transfer_not_authorised');
    }
    expect((await api('/transfers', tokens.access_token, transfer)).status).toBe(201);
    expect((await api('/transfers', tokens.access_token, transfer)).status).toBe(403);
    // An SCA token without the payment in its details pays nothing either.
    const strong = await demoTokens(b, { acr_values: SCA });
    expect((await api('/transfers', strong.access_token, transfer)).status).toBe(403);
  });

  test('the demo page authorises a transfer through a pushed request and the API executes it', async () => {
    const b = new Browser(g.url, { 'accept-language': 'en' });
    const home = await signIn(b);
    const form = formOf(home.body, 'demo-transfer');
    const invalid = await b.follow(form.action, { form: { csrf: form.csrf, amount: '-3', creditor_name: 'X', iban: IBAN } });
    expect(invalid.status).toBe(400);
    expect(invalid.body).toContain('id="transfer-error"');
    const asked = await b.request(form.action, { form: { csrf: form.csrf, amount: '42,50', creditor_name: 'Fournitures Martin', iban: 'fr76 3000 6000 0112 3456 7890 189' } });
    const location = asked.headers.get('location')!;
    expect(location).toMatch(/^\/auth\?client_id=guichet-demo&request_uri=/);
    expect(location).not.toContain('42');
    const codePage = await b.follow(location);
    const otp = formOf(codePage.body, 'otp');
    const done = await b.follow(otp.action, { form: { csrf: otp.csrf, code: totp() } });
    expect(done.body).toContain('data-notice="transfer_done"');
  });
});

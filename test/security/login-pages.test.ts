import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import { startGuichet, seedBasics, TEST_CLIENT, type RunningGuichet } from '../helpers/guichet.js';
import { Browser, formOf, stepOf, type Page } from '../helpers/browserless.js';

let g: RunningGuichet;
beforeAll(async () => {
  // These tests fail on purpose many times from one address: captcha and lockout have their own files.
  g = await startGuichet({ config: { abuse: { captchaAfterFailures: 0 }, lockout: { maxAttempts: 5, temporaryBlocks: 10, temporaryBlockSeconds: 60 } } });
  await seedBasics(g);
});
afterAll(async () => g?.stop());

function authUrl(extra: Record<string, string> = {}): string {
  const verifier = randomBytes(32).toString('base64url');
  const search = new URLSearchParams({ client_id: TEST_CLIENT.client_id, response_type: 'code', scope: 'openid', redirect_uri: TEST_CLIENT.redirect_uris[0]!, state: 'st', code_challenge: createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256', ...extra });
  return `${g.url}/auth?${search}`;
}

async function atPasswordStep(browser: Browser, identifier: string): Promise<Page> {
  const first = await browser.follow(authUrl());
  const identify = formOf(first.body, 'identify');
  return browser.follow(identify.action, { form: { csrf: identify.csrf, identifier } });
}

const normalise = (body: string) =>
  body.replace(/\/interaction\/[\w-]+/g, '/interaction/UID').replace(/\/recovery\/[\w-]+/g, '/recovery/UID').replace(/value="[\w-]{20,}"/g, 'value="TOKEN"').replace(/(Identifiant|Identifier) : [^<]+/g, '$1 : X').replace(/value="(alice|nobody-[\w]+)"/g, 'value="X"');

describe('the login pages', () => {
  test('the identify step is the documented form contract, in French by default', async () => {
    const page = await new Browser(g.url).follow(authUrl());
    expect(page.status).toBe(200);
    expect(stepOf(page.body)).toBe('identify');
    expect(page.body).toContain('<html lang="fr">');
    expect(page.body).toMatch(/<label for="identifier">/);
    expect(page.body).toMatch(/name="identifier"/);
    expect(page.body).toMatch(/name="csrf"/);
  });

  test('ui_locales=en and Accept-Language: en give English pages; ?lang switches', async () => {
    const viaUiLocales = await new Browser(g.url).follow(authUrl({ ui_locales: 'en' }));
    expect(viaUiLocales.body).toContain('<html lang="en">');
    const viaHeader = await new Browser(g.url, { 'accept-language': 'en-GB,en;q=0.9' }).follow(authUrl());
    expect(viaHeader.body).toContain('Sign in');
    const b = new Browser(g.url);
    const fr = await b.follow(authUrl());
    const switched = await b.follow(new URL(fr.url).pathname + '?lang=en');
    expect(switched.body).toContain('<html lang="en">');
  });

  test('OIDC-13 pages forbid framing and run no inline script (strict CSP)', async () => {
    const response = await new Browser(g.url).request(authUrl());
    const page = await new Browser(g.url).follow(authUrl());
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    const csp = page.headers.get('content-security-policy')!;
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(page.body).not.toMatch(/<script/i);
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(response.headers.get('x-frame-options')).toBe('DENY');
  });

  test('ASVS-26 cookies are HttpOnly and SameSite', async () => {
    const response = await new Browser(g.url).request(authUrl());
    const cookies = response.headers.getSetCookie();
    expect(cookies.length).toBeGreaterThan(0);
    for (const c of cookies) {
      expect(c.toLowerCase()).toContain('httponly');
      expect(c.toLowerCase()).toMatch(/samesite=(lax|strict|none)/);
    }
  });

  test('a wrong password and an unknown account give the same status and page, in comparable time', async () => {
    const timings: Record<string, number[]> = { known: [], unknown: [] };
    const bodies: Record<string, string> = {};
    for (let i = 0; i < 4; i++) {
      for (const kind of ['known', 'unknown'] as const) {
        const b = new Browser(g.url);
        const page = await atPasswordStep(b, kind === 'known' ? 'alice' : `nobody-${i}`);
        const form = formOf(page.body, 'password');
        const started = process.hrtime.bigint();
        const out = await b.follow(form.action, { form: { csrf: form.csrf, password: 'definitely wrong' } });
        timings[kind]!.push(Number(process.hrtime.bigint() - started) / 1e6);
        expect(out.status).toBe(401);
        bodies[kind] = normalise(out.body);
      }
    }
    expect(bodies.known).toBe(bodies.unknown);
    const alice = await g.container.repos.accounts.findByIdentifier({ scheme: 'username', username: 'alice' });
    await g.container.lockout.unblock((await g.container.repos.credentials.find(alice!.id, 'password'))!);
    expect(bodies.known).toContain('role="alert"');
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const ratio = median(timings.known!) / median(timings.unknown!);
    // A missing hash would be 4–5 times faster; the bounds leave room for a busy 2-core box.
    expect(ratio).toBeGreaterThan(0.4);
    expect(ratio).toBeLessThan(2.5);
  });

  test('a suspended account is told so and not logged in', async () => {
    const b = new Browser(g.url, { 'accept-language': 'en' });
    const page = await atPasswordStep(b, 'bob');
    const form = formOf(page.body, 'password');
    const out = await b.follow(form.action, { form: { csrf: form.csrf, password: 'bob password 1234' } });
    expect(out.status).toBe(403);
    expect(out.body).toContain('suspended');
  });

  test('a wrong CSRF token is refused with a clear page', async () => {
    const b = new Browser(g.url);
    const page = await b.follow(authUrl());
    const form = formOf(page.body, 'identify');
    const out = await b.follow(form.action, { form: { csrf: 'forged', identifier: 'alice' } });
    expect(out.status).toBe(403);
    expect(out.body).toContain('data-step="error"');
    expect(out.body).toContain('Rechargez la page');
  });

  test('a replayed password post gets a clear page, not a second login', async () => {
    const b = new Browser(g.url);
    const page = await atPasswordStep(b, 'alice');
    const form = formOf(page.body, 'password');
    const first = await b.follow(form.action, { form: { csrf: form.csrf, password: 'correct horse battery staple' } });
    expect(first.url).toContain('code=');
    const replay = await b.request(form.action, { form: { csrf: form.csrf, password: 'correct horse battery staple' } });
    expect([409, 410]).toContain(replay.status);
    expect(await replay.text()).toContain('data-step="error"');
  });

  test('oversized bodies, bad UTF-8, missing fields and wrong content types give 4xx pages in the user language', async () => {
    const b = new Browser(g.url, { 'accept-language': 'en' });
    const page = await b.follow(authUrl());
    const form = formOf(page.body, 'identify');
    const big = await b.request(form.action, { body: `csrf=${form.csrf}&identifier=${'a'.repeat(100_000)}` });
    expect(big.status).toBe(413);
    expect(await big.text()).toContain('too large');
    const badUtf8 = await b.request(form.action, { body: `csrf=${form.csrf}&identifier=%C3%28` });
    expect(badUtf8.status).toBe(400);
    expect(await badUtf8.text()).toContain('invalid characters');
    const missing = await b.request(form.action, { form: { csrf: form.csrf } });
    expect(missing.status).toBe(400);
    const missingBody = await missing.text();
    expect(missingBody).toContain('Enter your identifier.');
    expect(missingBody).toMatch(/id="identifier"[^>]*aria-invalid="true"/);
    const json = await b.request(form.action, { body: '{}', contentType: 'application/json' });
    expect(json.status).toBe(400);
    const repeated = await b.request(form.action, { body: `csrf=${form.csrf}&identifier=a&identifier=b` });
    expect(repeated.status).toBe(400);
  });

  test('an expired interaction shows a friendly page that restarts the login at the client', async () => {
    const b = new Browser(g.url, { 'accept-language': 'en' });
    const page = await b.follow(authUrl());
    const form = formOf(page.body, 'identify');
    for (const name of [...b.jar.cookies.keys()]) if (name.includes('interaction')) b.jar.cookies.delete(name);
    const out = await b.follow(form.action, { form: { csrf: form.csrf, identifier: 'alice' } });
    expect(out.status).toBe(410);
    expect(out.body).toContain('expired');
    const restart = /<a class="button" href="([^"]+)"/.exec(out.body)![1]!.replace(/&amp;/g, '&');
    expect(restart.startsWith('/auth?')).toBe(true);
    const again = await b.follow(restart);
    expect(stepOf(again.body)).toBe('identify');
  });

  test('ASVS-42 every attempt is audited with its factor and result, and no secret reaches logs or audit', async () => {
    const b = new Browser(g.url);
    const page = await atPasswordStep(b, 'alice');
    const form = formOf(page.body, 'password');
    await b.follow(form.action, { form: { csrf: form.csrf, password: 'Secret-Wrong-Guess-77' } });
    const again = await b.follow(form.action.replace(/\/password$/, ''));
    const retry = formOf(again.body, 'password');
    await b.follow(retry.action, { form: { csrf: retry.csrf, password: 'correct horse battery staple' } });
    const alice = await g.container.repos.accounts.findByIdentifier({ scheme: 'username', username: 'alice' });
    const events = await g.container.repos.audit.list({ accountId: alice!.id, action: 'login.password', limit: 2 });
    expect(events.map((e) => e.result)).toEqual(['success', 'failure']);
    expect(events[1]).toMatchObject({ reason: 'wrong_secret', clientId: TEST_CLIENT.client_id, details: { factor: 'password' } });
    expect(events[0]!.ip).toBeTruthy();
    expect(events[0]!.at.getTime()).toBeLessThanOrEqual(Date.now());
    const all = JSON.stringify(await g.container.repos.audit.list({ limit: 1000 }));
    const logs = g.logs.join('\n');
    for (const secret of ['Secret-Wrong-Guess-77', 'correct horse battery staple', TEST_CLIENT.client_secret]) {
      expect(all).not.toContain(secret);
      expect(logs).not.toContain(secret);
    }
    expect(logs).toContain('login.failure');
    expect(logs).toContain('login.success');
  });
});

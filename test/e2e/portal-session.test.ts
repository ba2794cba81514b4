import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Browser, formOf } from '../helpers/browserless.js';
import { seedBasics, startGuichet, type RunningGuichet } from '../helpers/guichet.js';

/** Guichet's own pages sign people in through the provider, as a relying party would. */
describe('portal sessions', () => {
  let g: RunningGuichet;
  beforeAll(async () => {
    g = await startGuichet();
    await seedBasics(g);
  });
  afterAll(() => g.stop());

  async function signIn(browser: Browser, path: string) {
    const first = await browser.follow(path);
    const identify = formOf(first.body, 'identify');
    const second = await browser.follow(identify.action, { form: { csrf: identify.csrf, identifier: 'alice' } });
    const pw = formOf(second.body, 'password');
    return browser.follow(pw.action, { form: { csrf: pw.csrf, password: 'correct horse battery staple' } });
  }

  test('a login through the provider opens a session and returns to the page asked for', async () => {
    const browser = new Browser(g.url);
    const page = await signIn(browser, '/portal/login?return=/account/somewhere');
    expect(page.url).toBe(`${g.url}/account/somewhere`);
    expect(browser.jar.cookies.get('guichet_portal')).toMatch(/^[\w-]{20,}$/);
  });

  test('a foreign return address is replaced by the profile page (no open redirect)', async () => {
    const browser = new Browser(g.url);
    const page = await signIn(browser, '/portal/login?return=//evil.example/x');
    expect(page.url).toBe(`${g.url}/account`);
  });

  test('a callback with an unknown state or a replayed code opens nothing', async () => {
    const browser = new Browser(g.url);
    const response = await browser.request('/portal/callback?code=abc&state=unknown', {});
    expect(response.status).toBe(410);
    expect(browser.jar.cookies.has('guichet_portal')).toBe(false);
  });
});

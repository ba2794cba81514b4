import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { startGuichet, type RunningGuichet } from '../helpers/guichet.js';
import { Browser, formOf } from '../helpers/browserless.js';
import { DEMO_TOTP_SECRET } from '../../src/admin/demo-fixture.js';
import { decodeBase32, generateTotp } from '../../src/authenticators/oath/oath-codes.js';

let g: RunningGuichet;
beforeAll(async () => {
  g = await startGuichet({ config: { seedDemo: true } });
});
afterAll(async () => g?.stop());

describe('the built-in demo relying party', () => {
  test('a simple login, then a step-up to SCA with the demo TOTP, then logout', async () => {
    const b = new Browser(g.url, { 'accept-language': 'en' });
    const start = await b.follow('/demo/login');
    const identify = formOf(start.body, 'identify');
    const pw = formOf((await b.follow(identify.action, { form: { csrf: identify.csrf, identifier: 'demo' } })).body, 'password');
    const home = await b.follow(pw.action, { form: { csrf: pw.csrf, password: 'Guichet-Demo-2026' } });
    expect(home.body).toContain('data-step="demo-logged-in"');
    expect(home.body).toContain('urn:guichet:loa:simple');
    const stepUp = await b.follow('/demo/login?level=sca');
    const otp = formOf(stepUp.body, 'otp');
    const code = generateTotp(decodeBase32(DEMO_TOTP_SECRET), new Date(), { algorithm: 'SHA1', digits: 6, period: 30 });
    const strong = await b.follow(otp.action, { form: { csrf: otp.csrf, code } });
    expect(strong.body).toContain('urn:guichet:loa:sca');
    const logout = /href="([^"]*\/session\/end[^"]*)"/.exec(strong.body)![1]!.replace(/&amp;/g, '&');
    const confirm = await b.follow(logout);
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(confirm.body)![1]!;
    const out = await b.follow('/session/end/confirm', { form: { xsrf, logout: 'yes' } });
    expect(out.body).toContain('data-step="demo"');
    expect(out.body).not.toContain('demo-logged-in');
  });
});

/**
 * Certificate login and enrolment in Chromium, presenting client certificates through Playwright's
 * `clientCertificates` (the TLS handshake with Guichet's own listener on its own port), with the
 * pages checked by axe-core.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { BrowserContextOptions } from 'playwright-core';
import { seedBasics, startGuichet, type RunningGuichet } from '../helpers/guichet.js';
import { authorizationUrl, expectNoAxeViolations, redeemCode, useChromium, waitForCallback } from '../helpers/browser.js';
import { createTestPki, type TestPki } from '../helpers/certificate-browser.js';
import { ManualClock } from '../../src/lib/clock.js';
import { createOathEnrolment } from '../../src/authenticators/oath/enrolment.js';
import { decodeBase32, generateTotp } from '../../src/authenticators/oath/oath-codes.js';
import { translator } from '../../src/i18n/messages.js';
import type { Issued } from '../x509/test-pki.js';

const fr = translator('fr');
const PASSWORD = 'correct horse battery staple';
const chromium = useChromium();
const clock = new ManualClock(new Date());
let g: RunningGuichet;
let pki: TestPki;
let alice: Issued;
let aliceId: string;
let totpSecret: string;

/** A context that presents `certificate` to the listener's origin (and only there). */
const withCertificate = (certificate: Issued): BrowserContextOptions => ({
  ignoreHTTPSErrors: true,
  clientCertificates: [{ origin: g.certificateUrl!, cert: Buffer.from(certificate.pem), key: Buffer.from(certificate.keyPem) }],
});

const idTokenClaims = (body: Record<string, unknown>) => JSON.parse(Buffer.from(String(body.id_token).split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;

beforeAll(async () => {
  pki = await createTestPki(clock.now());
  g = await startGuichet({ clock, certificateListener: true, config: { abuse: { captchaAfterFailures: 0 }, x509: pki.x509({ pinProtected: true }) } });
  await seedBasics(g);
  aliceId = (await g.container.repos.accounts.findByIdentifier({ scheme: 'username', username: 'alice' }))!.id;
  alice = await pki.good('Alice Durand');
  expect((await g.container.x509!.enrolment.enrolCertificate(aliceId, alice.pem)).kind).toBe('enrolled');
  const oath = createOathEnrolment({ factors: g.container.repos.factors, clock });
  totpSecret = oath.beginTotpEnrolment('alice', 'Guichet').secret;
  const first = generateTotp(decodeBase32(totpSecret), clock.now(), { algorithm: 'SHA1', digits: 6, period: 30 });
  expect((await oath.confirmTotpEnrolment(aliceId, totpSecret, first)).kind).toBe('enrolled');
}, 60_000);

afterAll(async () => {
  await g?.stop();
  await pki?.cleanup();
});

describe('certificate login in Chromium', () => {
  test('ASVS-41 "Se connecter avec mon certificat": Chromium presents the certificate to the listener and the login ends with an ID token at sca-phr', async () => {
    const page = await (await chromium.newContext(withCertificate(alice))).newPage();
    const auth = authorizationUrl(g.url);
    await page.goto(auth.url);
    await expect(page.locator('form[data-step="identify"]').count()).resolves.toBe(1);
    await expectNoAxeViolations(page, 'identify with the certificate link');
    const callback = waitForCallback(page);
    await page.getByRole('link', { name: fr('certificate.link') }).click();
    const query = await callback;
    expect(query.get('state')).toBe(auth.state);
    const tokens = await redeemCode(g.url, query.get('code')!, auth.verifier);
    expect(tokens.status).toBe(200);
    const claims = idTokenClaims(tokens.body);
    expect(claims).toMatchObject({ sub: aliceId, acr: 'urn:guichet:loa:sca-phr' });
    expect(claims.amr).toEqual(expect.arrayContaining(['sc', 'pin', 'mfa']));
  });

  test('ASVS-41 an expired certificate: the refusal page says why in plain words, is accessible, and leads back to the login', async () => {
    const page = await (await chromium.newContext(withCertificate(pki.expired))).newPage();
    await page.goto(authorizationUrl(g.url).url);
    await page.getByRole('link', { name: fr('certificate.link') }).click();
    const alert = page.locator('[data-step="certificate-refused"]');
    await expect(alert.textContent()).resolves.toContain(fr('certificate.reason.expired'));
    await expect(page.getByRole('alert').count()).resolves.toBe(1);
    await expectNoAxeViolations(page, 'certificate refused');
    await page.setViewportSize({ width: 320, height: 640 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(320);
    await page.getByRole('link', { name: fr('certificate.refused.back') }).click();
    expect(page.url().startsWith(`${g.url}/interaction/`)).toBe(true);
    await expect(page.locator('form[data-step="identify"]').count()).resolves.toBe(1);
  });
});

describe('registering a certificate from the profile', () => {
  test('after an SCA, the user presents a new certificate on the listener, names it, and can then sign in with it', async () => {
    const token = await pki.good('Alice Office Token');
    const page = await (await chromium.newContext(withCertificate(token))).newPage();
    clock.advance(30_000);
    // /account/certificate needs a fresh SCA: password then the authenticator app's code.
    await page.goto(`${g.url}/account/certificate`);
    await page.fill('#identifier', 'alice');
    await page.click('form[data-step="identify"] button[type="submit"]');
    await page.fill('#password', PASSWORD);
    await page.click('form[data-step="password"] button[type="submit"]');
    await page.fill('#code', generateTotp(decodeBase32(totpSecret), clock.now(), { algorithm: 'SHA1', digits: 6, period: 30 }));
    await page.click('form[data-step="otp"] button[type="submit"]');
    await page.waitForURL(`${g.url}/account/certificate`);
    await expectNoAxeViolations(page, 'certificate profile, ask');
    await page.getByRole('link', { name: fr('certificate.profile.present') }).click();
    await page.waitForURL(`${g.certificateUrl}/account/certificate`);
    await expect(page.locator('dd').first().textContent()).resolves.toContain('CN=Alice Office Token');
    await expectNoAxeViolations(page, 'certificate profile, presented');
    await page.fill('#label', 'Clé du bureau');
    await page.click('form[data-step="profile-certificate"] button[type="submit"]');
    await page.waitForURL(`${g.url}/account?done=certificate`);
    await expect(page.getByRole('status').textContent()).resolves.toContain(fr('certificate.profile.done'));
    const bound = await g.container.x509!.enrolment.listCertificates(aliceId);
    expect(bound.map((c) => c.label)).toContain('Clé du bureau');
    const [event] = await g.container.repos.audit.list({ accountId: aliceId, action: 'factor.enrol', limit: 1 });
    expect(event).toMatchObject({ result: 'success', details: expect.objectContaining({ kind: 'x509', via: 'profile' }) });

    // The new certificate now opens the account.
    const auth = authorizationUrl(g.url, { prompt: 'login' });
    await page.goto(auth.url);
    const callback = waitForCallback(page);
    await page.getByRole('link', { name: fr('certificate.link') }).click();
    const tokens = await redeemCode(g.url, (await callback).get('code')!, auth.verifier);
    expect(idTokenClaims(tokens.body).sub).toBe(aliceId);
  });
});

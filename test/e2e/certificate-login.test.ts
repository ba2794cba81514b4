import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import * as oidc from 'openid-client';
import { startGuichet, seedBasics, TEST_CLIENT, type RunningGuichet } from '../helpers/guichet.js';
import { formOf, type Page } from '../helpers/browserless.js';
import { CertificateBrowser, certificateLinkOf, createTestPki, type TestPki } from '../helpers/certificate-browser.js';
import { formatClientCertHeader } from '../../src/authenticators/x509/client-cert-header.js';
import { parseCertificate } from '../../src/authenticators/x509/parse-certificate.js';
import { x509DataOf } from '../../src/authenticators/x509/x509-credential.js';
import type { Issued } from '../x509/test-pki.js';

/**
 * Certificate login through Guichet's pages, with a real TLS client presenting certificates of a
 * test CA made here: on Guichet's own listener (its own port; the interaction cookies follow, being
 * host-scoped), and behind a trusted proxy's Client-Cert header. Tokens are PIN-protected
 * (`x509.pinProtected`), so the certificate alone is SCA.
 */
const PASSWORD = 'correct horse battery staple';
/** The address the trusted reverse proxy connects from (all of 127/8 is the loopback). */
const PROXY_ADDRESS = '127.0.0.2';

let g: RunningGuichet;
let pki: TestPki;
let alice: Issued;
let carol: Issued;
let unbound: Issued;
let aliceId: string;
let rp: oidc.Configuration;
let bank: oidc.Configuration;
const browsers: CertificateBrowser[] = [];

async function bind(accountId: string, cert: Issued): Promise<void> {
  // Expired and revoked certificates are bound as they were when still good: straight through the repository.
  const parsed = parseCertificate(cert.der)!;
  await g.container.repos.factors.create({ accountId, kind: 'x509', label: null, data: x509DataOf(parsed), lookup: parsed.thumbprint });
}

const browser = (certificate: Issued | null, options: { localAddress?: string } = {}) => {
  const b = new CertificateBrowser({ main: g.url, certificate: g.certificateUrl }, { ca: pki.ca.pem, certificate, headers: { 'accept-language': 'en' }, ...options });
  browsers.push(b);
  return b;
};

async function authorization(config: oidc.Configuration, extra: Record<string, string> = {}) {
  const verifier = oidc.randomPKCECodeVerifier();
  const url = oidc.buildAuthorizationUrl(config, { redirect_uri: TEST_CLIENT.redirect_uris[0]!, scope: 'openid', code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', ...extra });
  return { url, verifier };
}

const claimsOf = async (config: oidc.Configuration, out: Page, verifier: string) => (await oidc.authorizationCodeGrant(config, new URL(out.url), { pkceCodeVerifier: verifier })).claims()!;

/** Opens the identify page, then follows "Sign in with my certificate". */
async function signInWithCertificate(b: CertificateBrowser, config = rp) {
  const auth = await authorization(config);
  const identify = await b.follow(auth.url.href);
  expect(identify.body).toContain('data-step="identify"');
  const link = certificateLinkOf(identify.body);
  return { auth, link, page: await b.follow(link) };
}

const refusalOf = (page: Page) => /data-step="certificate-refused">([^<]*)</.exec(page.body)?.[1];

beforeAll(async () => {
  pki = await createTestPki();
  g = await startGuichet({ certificateListener: true, config: { abuse: { captchaAfterFailures: 0 }, x509: pki.x509({ pinProtected: true, trustedProxies: [PROXY_ADDRESS] }) } });
  await seedBasics(g);
  await g.admin.seed({
    subscriptions: [],
    accounts: [{ username: 'carol', status: 'active', emailVerified: false, locale: 'en', roles: [], preferences: {}, password: 'carol password 5678', passwordMustChange: false }],
    clients: [{ ...TEST_CLIENT, client_id: 'bank-sca', first_party: true, guichet_minimum_level: 'sca' }],
  });
  aliceId = (await g.container.repos.accounts.findByIdentifier({ scheme: 'username', username: 'alice' }))!.id;
  const carolId = (await g.container.repos.accounts.findByIdentifier({ scheme: 'username', username: 'carol' }))!.id;
  alice = await pki.good('Alice Durand');
  carol = await pki.good('Carol Token');
  unbound = await pki.good('Nobody Token');
  const enrolment = g.container.x509!.enrolment;
  expect((await enrolment.enrolCertificate(aliceId, alice.pem)).kind).toBe('enrolled');
  expect((await enrolment.enrolCertificate(carolId, carol.der)).kind).toBe('enrolled');
  await bind(aliceId, pki.expired);
  await bind(aliceId, pki.revoked);
  await bind(aliceId, pki.foreign);
  const discover = (id: string) => oidc.discovery(new URL(g.url), id, undefined, oidc.ClientSecretBasic(TEST_CLIENT.client_secret), { execute: [oidc.allowInsecureRequests] });
  rp = await discover(TEST_CLIENT.client_id);
  bank = await discover('bank-sca');
});

afterAll(async () => {
  await Promise.all(browsers.map((b) => b.close()));
  await g?.stop();
  await pki?.cleanup();
});

describe('certificate login on the TLS listener', () => {
  test('ASVS-41 a real TLS client signs in with its certificate through the pages and gets an ID token (acr sca-phr, amr sc pin mfa)', async () => {
    const b = browser(alice);
    const { auth, link, page } = await signInWithCertificate(b);
    // The link leads to the listener's own port, where the main origin's interaction cookies arrive.
    expect(link).toMatch(new RegExp(`^${g.certificateUrl}/interaction/[\\w-]+/certificate$`));
    expect(page.url).toContain('code=');
    const claims = await claimsOf(rp, page, auth.verifier);
    expect(claims.sub).toBe(aliceId);
    expect(claims.acr).toBe('urn:guichet:loa:sca-phr');
    expect(claims.amr).toEqual(expect.arrayContaining(['sc', 'pin', 'mfa']));
    const [event] = await g.container.repos.audit.list({ accountId: aliceId, action: 'login.certificate', limit: 1 });
    expect(event).toMatchObject({ result: 'success', details: expect.objectContaining({ step: 'first', transport: 'tls', thumbprint: parseCertificate(alice.der)!.thumbprint }) });
  });

  test.each([
    ['expired', () => pki.expired, 'This certificate has expired.'],
    ['revoked', () => pki.revoked, 'This certificate has been revoked'],
    ['untrusted_issuer', () => pki.foreign, 'This certificate was not issued by the bank'],
    ['unbound', () => unbound, 'This certificate is not registered for your account.'],
  ])('ASVS-41 a certificate refused as %s: the page says why, with a way back, and the attempt is audited', async (reason, cert, words) => {
    const b = browser(cert());
    const { page } = await signInWithCertificate(b);
    expect(page.status).toBe(401);
    expect(refusalOf(page)).toContain(words);
    // The way back is the main origin's page of the same login.
    const back = /<a href="([^"]+)">Back to sign in<\/a>/.exec(page.body)![1]!;
    expect(back.startsWith(`${g.url}/interaction/`)).toBe(true);
    expect((await b.follow(back)).body).toContain('data-step="identify"');
    const events = await g.container.repos.audit.list({ action: 'login.certificate', limit: 10 });
    expect(events.find((e) => e.reason === reason)).toMatchObject({ result: 'failure', details: expect.objectContaining({ thumbprint: parseCertificate(cert().der)!.thumbprint }) });
  });

  test('ASVS-41 no certificate presented: the page says so', async () => {
    const { page } = await signInWithCertificate(browser(null));
    expect(page.status).toBe(401);
    expect(refusalOf(page)).toContain('No certificate was presented.');
  });

  test('the certificate as the second factor: password, then "use my certificate instead" on the code page', async () => {
    const b = browser(alice);
    const auth = await authorization(bank);
    const identify = await b.follow(auth.url.href);
    const id = formOf(identify.body, 'identify');
    const secret = await b.follow(id.action, { form: { csrf: id.csrf, identifier: 'alice' } });
    const pw = formOf(secret.body, 'password');
    const codePage = await b.follow(pw.action, { form: { csrf: pw.csrf, password: PASSWORD } });
    expect(codePage.body).toContain('data-step="otp"');
    expect(codePage.body).toContain('Use my certificate instead');
    const out = await b.follow(certificateLinkOf(codePage.body));
    const claims = await claimsOf(bank, out, auth.verifier);
    expect(claims.acr).toBe('urn:guichet:loa:sca-phr');
    expect(claims.amr).toEqual(expect.arrayContaining(['pwd', 'sc', 'pin', 'mfa']));
  });

  test("on the code page, another account's certificate is refused: it is looked up for the identified account only", async () => {
    const b = browser(carol);
    const auth = await authorization(bank);
    const identify = await b.follow(auth.url.href);
    const id = formOf(identify.body, 'identify');
    const secret = await b.follow(id.action, { form: { csrf: id.csrf, identifier: 'alice' } });
    const pw = formOf(secret.body, 'password');
    const codePage = await b.follow(pw.action, { form: { csrf: pw.csrf, password: PASSWORD } });
    const refused = await b.follow(certificateLinkOf(codePage.body));
    expect(refused.status).toBe(401);
    expect(refusalOf(refused)).toContain('This certificate is not registered for your account.');
  });
});

describe('the Client-Cert header (RFC 9440)', () => {
  test('ASVS-41 a forged Client-Cert header from an untrusted address is ignored (no certificate) and audited as forged', async () => {
    const b = browser(null);
    const auth = await authorization(rp);
    const identify = await b.follow(auth.url.href);
    const uid = /\/interaction\/([\w-]+)/.exec(identify.url)![1]!;
    const forged = await b.follow(`${g.url}/interaction/${uid}/certificate`, { headers: { 'client-cert': formatClientCertHeader(alice.der), 'user-agent': 'forger/1.0' } });
    expect(forged.status).toBe(401);
    expect(refusalOf(forged)).toContain('No certificate was presented.');
    expect(forged.body).not.toContain('code=');
    const [event] = await g.container.repos.audit.list({ action: 'x509.client_cert_header', limit: 1 });
    expect(event).toMatchObject({ result: 'failure', reason: 'forged', ip: expect.stringContaining('127.0.0.1'), userAgent: 'forger/1.0' });
  });

  test("a trusted proxy's Client-Cert header is honoured on the main origin", async () => {
    const b = browser(null, { localAddress: PROXY_ADDRESS });
    const auth = await authorization(rp);
    const identify = await b.follow(auth.url.href);
    const uid = /\/interaction\/([\w-]+)/.exec(identify.url)![1]!;
    const out = await b.follow(`${g.url}/interaction/${uid}/certificate`, { headers: { 'client-cert': formatClientCertHeader(alice.der) } });
    expect({ url: out.url, refusal: refusalOf(out) }).toEqual({ url: expect.stringContaining('code='), refusal: undefined });
    const claims = await claimsOf(rp, out, auth.verifier);
    expect(claims.sub).toBe(aliceId);
    expect(claims.amr).toEqual(expect.arrayContaining(['sc', 'pin']));
    const [event] = await g.container.repos.audit.list({ accountId: aliceId, action: 'login.certificate', limit: 1 });
    expect(event).toMatchObject({ result: 'success', details: expect.objectContaining({ transport: 'header' }) });
  });
});

describe('a certificate on a token without a PIN', () => {
  let plain: RunningGuichet;
  beforeAll(async () => {
    plain = await startGuichet({ certificateListener: true, config: { x509: pki.x509() } });
    await seedBasics(plain);
    await plain.admin.seed({ subscriptions: [], accounts: [], clients: [{ ...TEST_CLIENT, client_id: 'bank-sca', first_party: true, guichet_minimum_level: 'sca' }] });
    const id = (await plain.container.repos.accounts.findByIdentifier({ scheme: 'username', username: 'alice' }))!.id;
    expect((await plain.container.x509!.enrolment.enrolCertificate(id, alice.der)).kind).toBe('enrolled');
  });
  afterAll(async () => plain?.stop());

  test('proves possession only: a simple login (amr pop); for SCA it needs another factor and never lowers the level', async () => {
    const b = new CertificateBrowser({ main: plain.url, certificate: plain.certificateUrl }, { ca: pki.ca.pem, certificate: alice, headers: { 'accept-language': 'en' } });
    browsers.push(b);
    const discover = (id: string) => oidc.discovery(new URL(plain.url), id, undefined, oidc.ClientSecretBasic(TEST_CLIENT.client_secret), { execute: [oidc.allowInsecureRequests] });
    const simple = await discover(TEST_CLIENT.client_id);
    const auth = await authorization(simple);
    const out = await b.follow(certificateLinkOf((await b.follow(auth.url.href)).body));
    const claims = await claimsOf(simple, out, auth.verifier);
    expect(claims.acr).toBe('urn:guichet:loa:simple');
    expect(claims.amr).toEqual(['pop']);

    const strong = await discover('bank-sca');
    const sca = await authorization(strong, { prompt: 'login' });
    const next = await b.follow(certificateLinkOf((await b.follow(sca.url.href)).body));
    // Alice has no code factor here, but SCA is essential: the code page ends it unmet, never with a lower acr.
    expect(next.body).toContain('data-step="otp"');
    expect(next.url.startsWith(plain.url)).toBe(true);
    const form = formOf(next.body, 'otp');
    const unmet = await b.follow(form.action, { form: { csrf: form.csrf, code: '123456' } });
    expect(new URL(unmet.url).searchParams.get('error')).toBe('unmet_authentication_requirements');
  });
});

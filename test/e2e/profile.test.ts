import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { seedBasics, startGuichet, TEST_CLIENT, type RunningGuichet } from '../helpers/guichet.js';
import { Browser, formOf, loginWithPassword, stepOf, type Page } from '../helpers/browserless.js';
import { startSmtpServer, type ReceivedMail } from '../helpers/smtp.js';
import { ManualClock } from '../../src/lib/clock.js';
import { decodeBase32, generateTotp } from '../../src/authenticators/oath/oath-codes.js';
import { normaliseAnswer } from '../../src/policy/security-questions.js';
import type { TotpData } from '../../src/authenticators/oath/oath-credential.js';

/** The profile at /account: fresh logins before sensitive changes, e-mail confirmation, SCA before a new factor. */
const PASSWORD = 'correct horse battery staple';
const TOTP_SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
const SIX_MINUTES = 6 * 60_000;
const clock = new ManualClock(new Date());
let g: RunningGuichet;
let smtp: Awaited<ReturnType<typeof startSmtpServer>>;

const USERS = ['carol', 'dave', 'erin', 'frank', 'gina', 'henry', 'ines', 'jules'] as const;

beforeAll(async () => {
  smtp = await startSmtpServer();
  g = await startGuichet({ clock, config: { smtpUrl: smtp.url, abuse: { captchaAfterFailures: 0 }, lockout: { maxAttempts: 5 } } });
  await seedBasics(g);
  await g.admin.seed({
    subscriptions: [],
    accounts: USERS.map((username) => ({
      username,
      status: 'active' as const,
      email: `${username}@example.com`,
      emailVerified: true,
      familyName: username.toUpperCase(),
      locale: username === 'ines' ? ('en' as const) : ('fr' as const),
      roles: [],
      preferences: {},
      password: PASSWORD,
      passwordMustChange: false,
      ...(username === 'erin' ? { totp: { secret: TOTP_SECRET } } : {}),
    })),
    clients: [],
  });
});
afterAll(async () => {
  await g?.stop();
  await smtp?.stop();
});

const accountOf = async (username: string) => (await g.container.repos.accounts.findByIdentifier({ scheme: 'username', username }))!;

/** From a page that sends to the login, through identify and password, back to the page asked for. */
async function signIn(b: Browser, path: string, username: string, password = PASSWORD): Promise<Page> {
  const first = await b.follow(path);
  expect(stepOf(first.body)).toBe('identify');
  const identify = formOf(first.body, 'identify');
  const second = await b.follow(identify.action, { form: { csrf: identify.csrf, identifier: username } });
  const pw = formOf(second.body, 'password');
  return b.follow(pw.action, { form: { csrf: pw.csrf, password } });
}

const csrfOf = (body: string) => /name="csrf" value="([^"]+)"/.exec(body)![1]!;

/** Waits for a mail to this address (the SMTP server in this process received it). */
async function mailTo(address: string, after = 0): Promise<ReceivedMail> {
  const until = Date.now() + 5000;
  for (;;) {
    const found = smtp.mails.slice(after).find((m) => m.to.toLowerCase() === address.toLowerCase());
    if (found) return found;
    if (Date.now() > until) throw new Error(`no mail to ${address}; got ${smtp.mails.map((m) => m.to).join(', ')}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** A form post with another Host header than the server's (fetch does not let a test set it). */
function postWithHost(b: Browser, path: string, form: Record<string, string>, host: string): Promise<number> {
  const body = new URLSearchParams(form).toString();
  const url = new URL(path, g.url);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { host, cookie: b.jar.header(), 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function authUrl(): string {
  const verifier = randomBytes(32).toString('base64url');
  return `${g.url}/auth?${new URLSearchParams({ client_id: TEST_CLIENT.client_id, response_type: 'code', scope: 'openid', redirect_uri: TEST_CLIENT.redirect_uris[0]!, code_challenge: createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256' })}`;
}

describe('profile page', () => {
  test('the profile needs a session, shows the account and changes names, language and preferences (audited, CSRF-checked)', async () => {
    const b = new Browser(g.url, { 'accept-language': 'fr' });
    const profile = await signIn(b, '/account', 'gina');
    expect(profile.url).toBe(`${g.url}/account`);
    expect(stepOf(profile.body)).toBe('profile');
    expect(profile.body).toContain('gina@example.com');

    const page = await b.follow('/account/details');
    const form = formOf(page.body, 'profile-details');
    const noCsrf = await b.request(form.action, { form: { family_name: 'X', locale: 'fr' } });
    expect(noCsrf.status).toBe(403);

    const invalid = await b.follow(form.action, { form: { csrf: form.csrf, family_name: ' ', given_name: 'Gina', locale: 'fr', default_contract: 'C 42 !', default_country: 'ZZ', default_landing: 'https://evil.example/' } });
    expect(invalid.status).toBe(400);
    expect(invalid.body).toContain('role="alert"');
    for (const field of ['family_name', 'default_contract', 'default_country', 'default_landing']) expect(invalid.body).toMatch(new RegExp(`id="${field}" name="${field}"[^>]*aria-describedby="[^"]*${field}-error"[^>]*aria-invalid="true"`));

    const saved = await b.follow(form.action, { form: { csrf: form.csrf, family_name: 'Martin', given_name: 'Gina', locale: 'en', default_contract: 'C-77', default_country: 'be', default_landing: '/contracts/C-77' } });
    expect(saved.url).toBe(`${g.url}/account?done=details`);
    expect(saved.body).toContain('Your details have been saved.');
    expect(saved.body).toContain('Belgium');
    const gina = await accountOf('gina');
    expect(gina).toMatchObject({ familyName: 'Martin', givenName: 'Gina', locale: 'en', preferences: { defaultContract: 'C-77', defaultCountry: 'BE', defaultLanding: '/contracts/C-77' } });
    const [event] = await g.container.repos.audit.list({ accountId: gina.id, action: 'profile.details.changed', limit: 1 });
    expect(event?.details).toEqual({ fields: ['family_name', 'given_name', 'locale', 'defaultContract', 'defaultCountry', 'defaultLanding'] });

    const known = await b.follow(form.action, { form: { csrf: form.csrf, family_name: 'Martin', given_name: '', locale: 'en', default_contract: '', default_country: '', default_landing: 'dashboard' } });
    expect(known.url).toBe(`${g.url}/account?done=details`);
    expect((await accountOf('gina')).preferences).toEqual({ defaultLanding: 'dashboard' });
  });

  test('recent sign-ins list the failed and the successful logins, with method, client and IP', async () => {
    const b = new Browser(g.url, { 'accept-language': 'fr' });
    const failed = await loginWithPassword(b, authUrl(), 'henry', 'not my password');
    expect(failed.status).toBe(401);
    const profile = await signIn(b, '/account', 'henry');
    const items = [...profile.body.matchAll(/<li><strong>([^<]+)<\/strong><br>([^<]+)<\/li>/g)].map((m) => `${m[1]} | ${m[2]}`);
    expect(items).toHaveLength(2);
    expect(items[0]).toMatch(/connexion réussie \| mot de passe, depuis Guichet, adresse IP (::ffff:)?127\.0\.0\.1/);
    expect(items[1]).toMatch(/connexion échouée \| mot de passe, depuis Test RP, adresse IP (::ffff:)?127\.0\.0\.1/);
    // The date is in the person's language.
    expect(items[0]).toMatch(/^\d{1,2} [a-zéû.]+ \d{4}/);
  });

  test('ASVS-24 changing the e-mail with a session older than 5 minutes goes through a fresh login first', async () => {
    const b = new Browser(g.url, { 'accept-language': 'fr' });
    await signIn(b, '/account', 'carol');
    const freshPage = await b.follow('/account/email');
    expect(stepOf(freshPage.body)).toBe('profile-email');
    const csrf = csrfOf(freshPage.body);

    clock.advance(SIX_MINUTES);
    const stalePost = await b.follow('/account/email', { form: { csrf, email: 'carol.new@example.com', email_confirmation: 'carol.new@example.com' } });
    expect(stalePost.status).toBe(410);
    expect(smtp.mails.some((m) => m.to === 'carol.new@example.com')).toBe(false);
    const stale = await b.follow('/account/email');
    expect(stepOf(stale.body)).toBe('identify');
    const again = await signIn(b, '/account/email', 'carol');
    expect(again.url).toBe(`${g.url}/account/email`);
    expect(stepOf(again.body)).toBe('profile-email');
  });

  test('ASVS-24 the new address applies only after the link mailed to it is followed, and the link works once', async () => {
    const b = new Browser(g.url, { 'accept-language': 'fr' });
    const page = await signIn(b, '/account/email', 'carol');
    const form = formOf(page.body, 'profile-email');
    const before = smtp.mails.length;
    const mismatch = await b.follow(form.action, { form: { csrf: form.csrf, email: 'carol.new@example.com', email_confirmation: 'carol.other@example.com' } });
    expect(mismatch.status).toBe(400);
    expect(mismatch.body).toContain('Les deux adresses ne sont pas identiques.');

    const sent = await b.follow(form.action, { form: { csrf: form.csrf, email: 'Carol.New@example.com', email_confirmation: 'carol.new@example.com' } });
    expect(stepOf(sent.body)).toBe('profile-email-sent');
    expect((await accountOf('carol')).email).toBe('carol@example.com');

    const confirm = await mailTo('Carol.New@example.com', before);
    expect(confirm.subject).toBe('Confirmez votre nouvelle adresse e-mail Guichet');
    const link = /(http:\/\/\S+\/account\/email\/confirm\?token=[\w-]+)/.exec(confirm.text)![1]!;
    expect(link.startsWith(`${g.url}/account/email/confirm?token=`)).toBe(true);
    expect(confirm.html).toContain(link);
    const notice = await mailTo('carol@example.com', before);
    expect(notice.subject).toBe('Changement d’adresse e-mail demandé sur votre compte Guichet');
    expect(notice.text).toContain('C***@example.com');
    expect(notice.text).not.toContain('token=');

    const confirmPage = await b.follow(link);
    expect(stepOf(confirmPage.body)).toBe('profile-email-confirm');
    expect((await accountOf('carol')).email).toBe('carol@example.com');
    const confirmForm = formOf(confirmPage.body, 'profile-email-confirm');
    const token = new URL(link).searchParams.get('token')!;
    const done = await b.follow(confirmForm.action, { form: { csrf: confirmForm.csrf, token } });
    expect(done.url).toBe(`${g.url}/account?done=email`);
    expect(done.body).toContain('Votre nouvelle adresse e-mail est confirmée.');
    expect(await accountOf('carol')).toMatchObject({ email: 'Carol.New@example.com', emailVerified: true });

    const replayPage = await b.follow(link);
    expect(replayPage.status).toBe(410);
    expect(stepOf(replayPage.body)).toBe('profile-email-invalid');
    const replayPost = await b.follow(confirmForm.action, { form: { csrf: confirmForm.csrf, token } });
    expect(replayPost.status).toBe(410);

    const carol = await accountOf('carol');
    const events = await g.container.repos.audit.list({ accountId: carol.id, limit: 50 });
    expect(events.filter((e) => e.action === 'profile.email.changed').map((e) => e.result)).toEqual(['failure', 'success']);
    expect(JSON.stringify(events)).not.toContain(token);
    const stored = await g.container.store.get(`profile:email:${createHash('sha256').update(token).digest('base64url')}`);
    expect(stored).toBeNull();
  });

  test('ASVS-24 an address another account uses is refused, whatever its case, and a newer request cancels the older link', async () => {
    const b = new Browser(g.url, { 'accept-language': 'en' });
    const page = await signIn(b, '/account/email', 'ines');
    const form = formOf(page.body, 'profile-email');
    const before = smtp.mails.length;
    const taken = await b.follow(form.action, { form: { csrf: form.csrf, email: 'ALICE@example.com', email_confirmation: 'alice@example.com' } });
    expect(taken.status).toBe(400);
    expect(taken.body).toContain('This address is already used by another account.');
    expect(taken.body).toMatch(/id="email" name="email"[^>]*aria-invalid="true"/);
    expect(smtp.mails.length).toBe(before);

    await b.follow(form.action, { form: { csrf: form.csrf, email: 'ines.one@example.com', email_confirmation: 'ines.one@example.com' } });
    const first = await mailTo('ines.one@example.com', before);
    expect(first.subject).toBe('Confirm your new Guichet e-mail address');
    // Sent with a forged Host header: the link still points at the issuer.
    const forged = await postWithHost(b, form.action, { csrf: form.csrf, email: 'ines.two@example.com', email_confirmation: 'ines.two@example.com' }, 'evil.example');
    expect(forged).toBe(200);
    const second = await mailTo('ines.two@example.com', before);
    const linkOf = (m: ReceivedMail) => /(http:\/\/\S+token=[\w-]+)/.exec(m.text)![1]!;
    expect(linkOf(second).startsWith(`${g.url}/account/email/confirm?token=`)).toBe(true);
    expect(second.text).not.toContain('evil.example');
    expect((await b.follow(linkOf(first))).status).toBe(410);

    // Taken between the request and the click: the link says so and changes nothing.
    const jules = await accountOf('jules');
    expect(await g.container.repos.accounts.update(jules.id, { email: 'ines.two@example.com' })).toBe('updated');
    const confirmPage = await b.follow(linkOf(second));
    const confirmForm = formOf(confirmPage.body, 'profile-email-confirm');
    const refused = await b.follow(confirmForm.action, { form: { csrf: confirmForm.csrf, token: new URL(linkOf(second)).searchParams.get('token')! } });
    expect(refused.status).toBe(409);
    expect(refused.body).toContain('This address is now used by another account');
    expect((await accountOf('ines')).email).toBe('ines@example.com');
  });

  test('CS-03 ASVS-24 changing security answers requires re-authentication', async () => {
    const b = new Browser(g.url, { 'accept-language': 'fr' });
    const profile = await signIn(b, '/account', 'dave');
    const csrf = csrfOf(profile.body);
    clock.advance(SIX_MINUTES);
    const choice = { question_1: 'first-pet', answer_1: 'Médor', question_2: 'first-car', answer_2: 'Renault', question_3: 'first-job', answer_3: 'Serveur' };
    const stalePost = await b.follow('/account/questions', { form: { csrf, ...choice } });
    expect(stalePost.status).toBe(410);
    const dave = await accountOf('dave');
    expect(await g.container.repos.securityAnswers.list(dave.id)).toEqual([]);
    const stale = await b.follow('/account/questions');
    expect(stepOf(stale.body)).toBe('identify');

    const page = await signIn(b, '/account/questions', 'dave');
    const form = formOf(page.body, 'profile-questions');
    const duplicate = await b.follow(form.action, { form: { csrf: form.csrf, ...choice, question_3: 'first-pet', answer_2: 'R' } });
    expect(duplicate.status).toBe(400);
    expect(duplicate.body).toContain('Question 3 : choisissez une question différente des autres.');
    expect(duplicate.body).toContain('Réponse 2 : au moins 2 caractères.');
    expect(duplicate.body).not.toContain('Médor');

    const saved = await b.follow(form.action, { form: { csrf: form.csrf, ...choice } });
    expect(saved.url).toBe(`${g.url}/account?done=questions`);
    const answers = await g.container.repos.securityAnswers.list(dave.id);
    expect(answers.map((a) => a.questionId)).toEqual(['first-pet', 'first-car', 'first-job']);
    expect(answers[0]!.answerHash).toMatch(/^\$argon2id\$/);
    expect(await g.container.hasher.verify(answers[0]!.answerHash, normaliseAnswer('  MEDOR '))).toBe(true);
    const [event] = await g.container.repos.audit.list({ accountId: dave.id, action: 'security_answers.set', limit: 1 });
    expect(event).toMatchObject({ result: 'success', details: { via: 'profile' } });
    expect(JSON.stringify(event)).not.toMatch(/Médor|Renault|Serveur/i);
  });

  test('PSD2-37 PSD2-39 a new authenticator app with a password-only session is sent to SCA, and is allowed after password + TOTP', async () => {
    const code = (secret: string) => generateTotp(decodeBase32(secret), clock.now(), { algorithm: 'SHA1', digits: 6, period: 30 });
    const b = new Browser(g.url, { 'accept-language': 'fr' });
    const profile = await signIn(b, '/account', 'erin');
    expect(stepOf(profile.body)).toBe('profile');
    const csrf = csrfOf(profile.body);
    const weakPost = await b.follow('/account/totp', { form: { csrf, code: '123456' } });
    expect(weakPost.status).toBe(410);

    const stepUp = await b.follow('/account/totp');
    expect(stepOf(stepUp.body)).toBe('otp');
    const otp = formOf(stepUp.body, 'otp');
    const enrolPage = await b.follow(otp.action, { form: { csrf: otp.csrf, code: code(TOTP_SECRET) } });
    expect(enrolPage.url).toBe(`${g.url}/account/totp`);
    expect(stepOf(enrolPage.body)).toBe('profile-totp');
    expect(enrolPage.body).toMatch(/<svg role="img" aria-label="[^"]+"/);
    const newSecret = /data-manual-key="([A-Z2-7]+)"/.exec(enrolPage.body)![1]!;

    const form = formOf(enrolPage.body, 'profile-totp');
    const wrong = await b.follow(form.action, { form: { csrf: form.csrf, code: code(newSecret) === '000000' ? '111111' : '000000' } });
    expect(wrong.status).toBe(400);
    expect(wrong.body).toContain(`data-manual-key="${newSecret}"`);
    const done = await b.follow(form.action, { form: { csrf: form.csrf, code: code(newSecret) } });
    expect(done.url).toBe(`${g.url}/account?done=totp`);
    const erin = await accountOf('erin');
    const factors = await g.container.repos.factors.listForAccount<TotpData>(erin.id, 'totp');
    expect(factors).toHaveLength(1);
    expect(factors[0]!.data.secret).toBe(newSecret);
    const [event] = await g.container.repos.audit.list({ accountId: erin.id, action: 'factor.enrol', limit: 1 });
    expect(event).toMatchObject({ result: 'success', details: { kind: 'totp', via: 'profile', acr: 'urn:guichet:loa:sca' } });
    expect(JSON.stringify(event)).not.toContain(newSecret);
    expect((await mailTo('erin@example.com')).subject).toBe('Une application d’authentification a été associée à votre compte Guichet');
  });

  test('PSD2-37 an account with no strong factor cannot associate one remotely', async () => {
    const b = new Browser(g.url, { 'accept-language': 'fr' });
    await signIn(b, '/account', 'jules');
    const page = await b.follow('/account/totp');
    expect(page.status).toBe(403);
    expect(stepOf(page.body)).toBe('profile-totp-unavailable');
    expect((await g.container.repos.factors.listForAccount((await accountOf('jules')).id)).length).toBe(0);
  });

  test('PSD2-06 a wrong current password counts toward the same lockout as the login', async () => {
    const b = new Browser(g.url, { 'accept-language': 'fr' });
    const page = await signIn(b, '/account/secret', 'frank');
    const form = formOf(page.body, 'profile-secret');
    expect(page.body).toContain('name="kind" value="password"');
    for (let i = 1; i <= 4; i++) {
      const wrong = await b.follow(form.action, { form: { csrf: form.csrf, kind: 'password', current_secret: `wrong ${i}`, new_secret: 'a brand new passphrase 42', confirmation: 'a brand new passphrase 42' } });
      expect(wrong.status).toBe(401);
      expect(wrong.body).toContain(`Encore ${5 - i} essai(s) avant le blocage.`);
    }
    const frank = await accountOf('frank');
    expect((await g.container.repos.credentials.find(frank.id, 'password'))!.failedCount).toBe(4);
    const login = await loginWithPassword(new Browser(g.url), authUrl(), 'frank', 'still wrong');
    expect(login.status).toBe(403);
    const credential = (await g.container.repos.credentials.find(frank.id, 'password'))!;
    expect(credential.blockedAt ?? credential.blockedUntil).not.toBeNull();
    const blocked = await b.follow(form.action, { form: { csrf: form.csrf, kind: 'password', current_secret: PASSWORD, new_secret: 'a brand new passphrase 42', confirmation: 'a brand new passphrase 42' } });
    expect(blocked.status).toBe(403);
    expect(await g.container.hasher.verify((await g.container.repos.credentials.find(frank.id, 'password'))!.secretHash, PASSWORD)).toBe(true);
  });

  test('a password change needs the current password; the new one then works at the login and the owner is told', async () => {
    const b = new Browser(g.url, { 'accept-language': 'fr' });
    const page = await signIn(b, '/account/secret', 'henry');
    const form = formOf(page.body, 'profile-secret');
    const weak = await b.follow(form.action, { form: { csrf: form.csrf, kind: 'password', current_secret: PASSWORD, new_secret: 'short', confirmation: 'short' } });
    expect(weak.status).toBe(400);
    expect(weak.body).toMatch(/id="new_secret" name="new_secret"[^>]*aria-invalid="true"/);
    const before = smtp.mails.length;
    const done = await b.follow(form.action, { form: { csrf: form.csrf, kind: 'password', current_secret: PASSWORD, new_secret: 'a brand new passphrase 42', confirmation: 'a brand new passphrase 42' } });
    expect(done.url).toBe(`${g.url}/account?done=password`);
    expect((await mailTo('henry@example.com', before)).subject).toBe('Votre mot de passe Guichet a été changé');
    expect((await loginWithPassword(new Browser(g.url), authUrl(), 'henry', 'a brand new passphrase 42')).url).toContain('code=');
    expect((await loginWithPassword(new Browser(g.url), authUrl(), 'henry', PASSWORD)).status).toBe(401);
  });
});

/**
 * Account recovery as an attacker and as a forgetful owner see it (issue 4, "Recovery, two ways"):
 * the same pages for every identifier, captcha and mail caps, links built from the issuer and usable
 * once, wrong answers on the password's own lockout counter, and no way around a second factor.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { knownCaptcha, seedBasics, startGuichet, TEST_CLIENT, type RunningGuichet } from '../helpers/guichet.js';
import { Browser, formOf, stepOf, type Page } from '../helpers/browserless.js';
import { startSmtpServer, type ReceivedMail } from '../helpers/smtp.js';
import { ManualClock } from '../../src/lib/clock.js';
import { DEFAULT_QUESTIONS, normaliseAnswer } from '../../src/policy/security-questions.js';
import { normaliseForHash } from '../../src/authenticators/secret/secret-authenticator.js';
import { createOathEnrolment } from '../../src/authenticators/oath/enrolment.js';
import { decodeBase32, generateTotp } from '../../src/authenticators/oath/oath-codes.js';
import { RECOVERY_MAILS_PER_HOUR, recoveryLinkMail, secretChangedMail, temporarySecretMail } from '../../src/flows/recovery.js';

const PASSWORD = 'correct horse battery staple';
const NEW_PASSWORD = 'violet tramway under the rain';
const highLimits = { captchaAfterFailures: 0, perIp: { points: 100000 }, perIdentifier: { points: 100000 } };

/** Answers by question id: what each test account's owner typed at registration. */
const ANSWERS: Record<string, string> = {
  'first-pet': 'Médor',
  'first-teacher': 'Madame Lefèvre',
  'first-concert': 'Téléphone',
};
const byText = new Map(DEFAULT_QUESTIONS.flatMap((q) => [[q.en, q.id], [q.fr, q.id]] as const));

type Smtp = Awaited<ReturnType<typeof startSmtpServer>>;

function authUrl(g: RunningGuichet, clientId = TEST_CLIENT.client_id): string {
  const verifier = randomBytes(32).toString('base64url');
  return `${g.url}/auth?${new URLSearchParams({ client_id: clientId, response_type: 'code', scope: 'openid', redirect_uri: TEST_CLIENT.redirect_uris[0]!, code_challenge: createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256' })}`;
}

const seedAccount = (username: string, fields: Record<string, unknown> = {}) => ({ username, status: 'active' as const, emailVerified: true, locale: 'en' as const, roles: [], preferences: {}, password: PASSWORD, passwordMustChange: false, ...fields });

async function accountOf(g: RunningGuichet, username: string) {
  return (await g.container.repos.accounts.findByIdentifier({ scheme: 'username', username }))!;
}

async function credentialOf(g: RunningGuichet, username: string) {
  return (await g.container.repos.credentials.find((await accountOf(g, username)).id, 'password'))!;
}

/** Registration's answers, set straight in the database: normalised, then argon2id. */
async function setAnswers(g: RunningGuichet, username: string, ids = Object.keys(ANSWERS)): Promise<void> {
  const answers = await Promise.all(ids.map(async (questionId, position) => ({ position, questionId, answerHash: await g.container.hasher.hash(normaliseAnswer(ANSWERS[questionId]!)) })));
  await g.container.repos.securityAnswers.replace((await accountOf(g, username)).id, answers, new Date());
}

/** A login begun at the client, then its "forgot your password?" page. */
async function openRecovery(g: RunningGuichet, headers: Record<string, string> = {}, clientId?: string): Promise<{ b: Browser; uid: string; page: Page }> {
  const b = new Browser(g.url, { 'accept-language': 'en', ...headers });
  const first = await b.follow(authUrl(g, clientId));
  const uid = /\/interaction\/([\w-]+)/.exec(formOf(first.body, 'identify').action)![1]!;
  return { b, uid, page: await b.follow(`/recovery/${uid}`) };
}

async function request(g: RunningGuichet, captcha: ReturnType<typeof knownCaptcha>, identifier: string, method: 'questions' | 'emailed', headers: Record<string, string> = {}) {
  const { b, uid, page } = await openRecovery(g, headers);
  const form = formOf(page.body, 'recovery-start');
  const started = process.hrtime.bigint();
  const out = await b.follow(form.action, { form: { csrf: form.csrf, identifier, method, captcha: captcha.answers.at(-1)! } });
  return { b, uid, out, ms: Number(process.hrtime.bigint() - started) / 1e6 };
}

const questionsOn = (page: Page): string[] => [...page.body.matchAll(/<label for="answer_\d+">([^<]+)<\/label>/g)].map((m) => m[1]!.replace(/&#39;/g, "'"));
const rightAnswers = (page: Page) => questionsOn(page).map((q) => ANSWERS[byText.get(q) ?? ''] ?? 'no idea');

async function answer(b: Browser, page: Page, answers: string[], secret = NEW_PASSWORD, confirmation = secret): Promise<Page> {
  const form = formOf(page.body, 'recovery-questions');
  return b.follow(form.action, { form: { csrf: form.csrf, ...Object.fromEntries(answers.map((a, i) => [`answer_${i + 1}`, a])), secret, confirmation } });
}

async function login(g: RunningGuichet, username: string, password: string, clientId?: string): Promise<Page> {
  const b = new Browser(g.url, { 'accept-language': 'en' });
  const first = await b.follow(authUrl(g, clientId));
  const identify = formOf(first.body, 'identify');
  const second = await b.follow(identify.action, { form: { csrf: identify.csrf, identifier: username } });
  const pw = formOf(second.body, 'password');
  return b.follow(pw.action, { form: { csrf: pw.csrf, password } });
}

const strip = (p: Page) => p.body.replace(/\/(interaction|recovery)\/[\w-]+/g, '').replace(/value="[^"]*"/g, '');
const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
const linkIn = (mail: ReceivedMail) => /(https?:\/\/\S+\/recovery\/\S+)/.exec(mail.text)![1]!;
const settle = () => new Promise((r) => setTimeout(r, 300));

describe('recovery by security questions and e-mailed temporary password', () => {
  let g: RunningGuichet;
  let smtp: Smtp;
  const captcha = knownCaptcha();
  beforeAll(async () => {
    smtp = await startSmtpServer();
    g = await startGuichet({ captchaSource: captcha, config: { smtpUrl: smtp.url, abuse: highLimits } });
    await seedBasics(g);
    await g.admin.seed({
      subscriptions: [],
      accounts: [
        seedAccount('gina', { email: 'gina@example.com' }),
        seedAccount('hugo', { email: 'hugo@example.com' }),
        seedAccount('ivan', { email: 'ivan@example.com' }),
        seedAccount('jade', { email: 'jade@example.com', locale: 'fr' }),
        seedAccount('kim', { email: 'kim@example.com' }),
        seedAccount('otto', { email: 'otto@example.com' }),
      ],
      clients: [{ ...TEST_CLIENT, client_id: 'card-only', first_party: true, guichet_first_factor: 'card' }],
    });
    for (const u of ['alice', 'bob', 'gina', 'hugo', 'ivan', 'jade']) await setAnswers(g, u);
    await g.container.db('accounts').where({ id: (await accountOf(g, 'bob')).id }).update({ email: 'bob@example.com' });
  });
  afterAll(async () => {
    await g?.stop();
    await smtp?.stop();
  });

  test('CS-02 the same page, status and comparable time for an active, a suspended and an unknown account; no mail to the suspended one; mails capped per hour', async () => {
    const times: Record<string, number[]> = { alice: [], bob: [], 'nobody-here': [] };
    const pages: Record<string, string> = {};
    // Each request's background work (lookup, hashing, mail) ends with one audit event: wait for it, so
    // one request's hashing never lands in the next one's measurement on a busy machine.
    const finished = async () => Number((await g.container.db('audit_events').where({ action: 'recovery.temporary' }).count({ n: '*' }))[0]!.n);
    let done = await finished();
    for (let round = 0; round < RECOVERY_MAILS_PER_HOUR + 2; round++) {
      for (const who of Object.keys(times)) {
        const { out, ms } = await request(g, captcha, who, 'emailed');
        for (const until = Date.now() + 10_000; (await finished()) <= done && Date.now() < until; ) await new Promise((r) => setTimeout(r, 10));
        done += 1;
        expect(out.status).toBe(200);
        expect(stepOf(out.body)).toBe('recovery-sent');
        times[who]!.push(ms);
        pages[who] = strip(out);
      }
    }
    expect(pages.bob).toBe(pages.alice);
    expect(pages['nobody-here']).toBe(pages.alice);
    const [a, s, u] = [median(times.alice!), median(times.bob!), median(times['nobody-here']!)];
    // The lookup, hashing and mail run after the answer: every identifier costs one page render.
    expect(Math.abs(a - u)).toBeLessThan(Math.max(50, 0.5 * Math.max(a, u)));
    expect(Math.abs(a - s)).toBeLessThan(Math.max(50, 0.5 * Math.max(a, s)));
    await smtp.waitFor(RECOVERY_MAILS_PER_HOUR, 20_000);
    await settle();
    const sent = smtp.mails.filter((m) => m.to === 'alice@example.com' || m.to === 'bob@example.com');
    expect(sent).toHaveLength(RECOVERY_MAILS_PER_HOUR);
    expect(sent.every((m) => m.to === 'alice@example.com')).toBe(true);
    const alice = await accountOf(g, 'alice');
    const refused = await g.container.repos.audit.list({ action: 'recovery.temporary', limit: 100 });
    expect(refused.filter((e) => e.reason === 'mail_cap')).toHaveLength(2);
    expect(refused.filter((e) => e.reason === 'account_suspended')).toHaveLength(RECOVERY_MAILS_PER_HOUR + 2);
    expect(refused.filter((e) => e.reason === 'unknown_account')).toHaveLength(RECOVERY_MAILS_PER_HOUR + 2);
    // Asking changes nothing for the owner: the password still works, nothing is blocked.
    expect((await credentialOf(g, 'alice')).failedCount).toBe(0);
    expect((await login(g, 'alice', PASSWORD)).url).toContain('code=');
    expect(JSON.stringify(await g.container.repos.audit.list({ accountId: alice.id, limit: 100 }))).not.toMatch(/"secret"|Médor/);
  });

  test('CS-02 the e-mailed temporary password: random, stored hashed, the newer cancels the older, mail in the account language (French and English)', async () => {
    const before = smtp.mails.length;
    await request(g, captcha, 'jade', 'emailed');
    await smtp.waitFor(before + 1, 20_000);
    await request(g, captcha, 'jade', 'emailed');
    await request(g, captcha, 'kim', 'emailed');
    const mails = await smtp.waitFor(before + 3, 20_000);
    const [first, second] = mails.filter((m) => m.to === 'jade@example.com');
    const english = mails.find((m) => m.to === 'kim@example.com')!;
    const secretIn = (m: ReceivedMail) => /\n {4}(\S+)\n/.exec(m.text)![1]!;
    expect(first!.subject).toBe('Votre mot de passe temporaire Guichet');
    expect(second!.text).toContain('une seule fois');
    expect(second!.text).toMatch(/expire le \d{1,2} \S+ \d{4}/);
    expect(second!.text).toContain('choisir aussitôt un nouveau mot de passe');
    expect(second!.text).toContain('votre mot de passe actuel reste valable');
    expect(second!.html).toContain(secretIn(second!));
    expect(second!.html).toContain('<p>');
    expect(english.subject).toBe('Your temporary Guichet password');
    expect(english.text).toContain('works only once');
    expect(english.text).toMatch(/expires on \d{1,2} \w+ \d{4}/);
    expect(english.text).toContain('choose a new password straight away');
    expect(english.text).toContain('your current password stays valid');
    expect(secretIn(first!)).not.toBe(secretIn(second!));
    expect(secretIn(second!)).toMatch(/^[A-Za-z2-9]{14}$/);
    const jade = await accountOf(g, 'jade');
    const stored = (await g.container.repos.temporarySecrets.find(jade.id))!;
    expect(stored.purpose).toBe('recovery');
    expect(stored.secretHash).toMatch(/^\$argon2id\$/);
    expect(await g.container.hasher.verify(stored.secretHash, normaliseForHash(secretIn(second!)))).toBe(true);
    expect(await g.container.hasher.verify(stored.secretHash, normaliseForHash(secretIn(first!)))).toBe(false);
    expect(stored.expiresAt.getTime() - stored.createdAt.getTime()).toBe(24 * 3600 * 1000);
    expect(JSON.stringify(await g.container.repos.audit.list({ accountId: jade.id, limit: 50 }))).not.toContain(secretIn(second!));
  });

  test('CS-02 recovery is captcha-gated: a wrong or missing captcha changes nothing and sends nothing', async () => {
    const before = smtp.mails.length;
    const { b, page } = await openRecovery(g);
    expect(page.body).toContain('name="captcha"');
    const form = formOf(page.body, 'recovery-start');
    const wrong = await b.follow(form.action, { form: { csrf: form.csrf, identifier: 'alice', method: 'emailed', captcha: 'WRONG' } });
    expect(wrong.status).toBe(400);
    expect(stepOf(wrong.body)).toBe('recovery-start');
    expect(wrong.body).toContain('do not match');
    const none = await b.follow(form.action, { form: { csrf: form.csrf, identifier: 'alice', method: 'emailed' } });
    expect(none.status).toBe(400);
    await settle();
    expect(smtp.mails.length).toBe(before);
    const forged = await b.request(form.action, { form: { csrf: 'forged', identifier: 'alice', method: 'emailed', captcha: captcha.answers.at(-1)! } });
    expect(forged.status).toBe(403);
  });

  test('CS-03 the questions page: the account’s questions in order, an unknown identifier gets stable decoys that look the same', async () => {
    const known = await request(g, captcha, 'gina', 'questions');
    expect(stepOf(known.out.body)).toBe('recovery-questions');
    expect(questionsOn(known.out)).toEqual(Object.keys(ANSWERS).map((id) => DEFAULT_QUESTIONS.find((q) => q.id === id)!.en));
    const again = await request(g, captcha, 'gina', 'questions');
    expect(questionsOn(again.out)).toEqual(questionsOn(known.out));
    const decoy1 = await request(g, captcha, 'nobody-at-all', 'questions');
    const decoy2 = await request(g, captcha, 'nobody-at-all', 'questions');
    expect(decoy1.out.status).toBe(known.out.status);
    expect(questionsOn(decoy1.out)).toHaveLength(3);
    expect(questionsOn(decoy2.out)).toEqual(questionsOn(decoy1.out));
    const shape = (p: Page) => strip(p).replace(/<label for="answer_\d+">[^<]+<\/label>/g, '').replace(/Identifier: [^<]+/, '');
    expect(shape(decoy1.out)).toBe(shape(known.out));
    // Decoys are keyed on the identifier: another unknown one gets its own stable set.
    const other = new Set<string>();
    for (const name of ['nobody-1', 'nobody-2', 'nobody-3', 'nobody-4']) other.add(questionsOn((await request(g, captcha, name, 'questions')).out).join('|'));
    expect(other.size).toBeGreaterThan(1);
  });

  test('CS-03 right answers set the new password, never sign in, unblock the counter and notify the owner; the old password stops working', async () => {
    for (let i = 0; i < 3; i++) expect((await login(g, 'hugo', 'not it')).status).toBe(401);
    expect((await credentialOf(g, 'hugo')).failedCount).toBe(3);
    const { b, out } = await request(g, captcha, 'hugo', 'questions');
    const weak = await answer(b, out, rightAnswers(out), 'hugo', 'hugo');
    expect(weak.status).toBe(400);
    expect(stepOf(weak.body)).toBe('recovery-secret');
    expect(weak.body).not.toContain('name="answer_1"');
    const secretForm = formOf(weak.body, 'recovery-secret');
    const mismatch = await b.follow(secretForm.action, { form: { csrf: secretForm.csrf, secret: NEW_PASSWORD, confirmation: `${NEW_PASSWORD}!` } });
    expect(mismatch.status).toBe(400);
    expect(mismatch.body).toContain('The two entries do not match.');
    const before = smtp.mails.length;
    const done = await b.follow(secretForm.action, { form: { csrf: secretForm.csrf, secret: NEW_PASSWORD, confirmation: NEW_PASSWORD } });
    expect(done.status).toBe(200);
    expect(stepOf(done.body)).toBe('recovery-done');
    expect(done.url).not.toContain('code=');
    expect(done.body).toMatch(/href="\/interaction\/[\w-]+"/);
    expect(b.jar.cookies.has('guichet_session') || b.jar.cookies.has('__Host-guichet_session')).toBe(false);
    expect((await credentialOf(g, 'hugo')).failedCount).toBe(0);
    expect((await login(g, 'hugo', PASSWORD)).status).toBe(401);
    expect((await login(g, 'hugo', NEW_PASSWORD)).url).toContain('code=');
    const notice = (await smtp.waitFor(before + 1, 10_000)).slice(before).find((m) => m.to === 'hugo@example.com')!;
    expect(notice.subject).toBe('Your Guichet password was changed');
    expect(notice.text).toContain('security questions');
    expect(notice.text).not.toContain(NEW_PASSWORD);
    // The form is spent: replaying it recovers nothing.
    const replay = await b.request(secretForm.action, { form: { csrf: secretForm.csrf, secret: 'another fine passphrase', confirmation: 'another fine passphrase' } });
    expect(replay.status).toBe(303);
  });

  test('G-1 five wrong answers block the password like five wrong passwords; the right password and the right answers are then refused', async () => {
    const { b, out } = await request(g, captcha, 'ivan', 'questions');
    let page = out;
    for (let i = 0; i < 4; i++) {
      page = await answer(b, page, ['wrong', 'wrong', 'wrong']);
      expect(page.status).toBe(401);
      expect(page.body).toContain('The answers do not match.');
    }
    const fifth = await answer(b, page, ['wrong', 'wrong', 'wrong']);
    expect(fifth.status).toBe(403);
    expect(stepOf(fifth.body)).toBe('recovery-blocked');
    expect((await credentialOf(g, 'ivan')).blockedAt).not.toBeNull();
    expect((await login(g, 'ivan', PASSWORD)).status).toBe(403);
    const again = await request(g, captcha, 'ivan', 'questions');
    expect((await answer(again.b, again.out, rightAnswers(again.out))).status).toBe(403);
    expect((await login(g, 'ivan', PASSWORD)).status).toBe(403);
    const events = await g.container.repos.audit.list({ accountId: (await accountOf(g, 'ivan')).id, action: 'recovery.answers', limit: 20 });
    expect(events.filter((e) => e.reason === 'wrong_answers')).toHaveLength(5);
    expect(JSON.stringify(events)).not.toContain('wrong"');
  });

  test('CS-03 an unknown identifier is blocked after as many wrong answers, on the counter its logins use', async () => {
    for (let i = 0; i < 2; i++) expect((await login(g, 'ghost-user', 'guess')).status).toBe(401);
    const { b, out } = await request(g, captcha, 'ghost-user', 'questions');
    let page = out;
    for (let i = 0; i < 2; i++) page = await answer(b, page, rightAnswers(page));
    expect(page.status).toBe(401);
    expect((await answer(b, page, ['a', 'b', 'c'])).status).toBe(403);
    expect((await login(g, 'ghost-user', 'guess')).status).toBe(403);
  });

  test('CS-03 a suspended account is never recovered, even with the right answers', async () => {
    const { b, out } = await request(g, captcha, 'bob', 'questions');
    const shown = questionsOn(out);
    expect(shown).toHaveLength(3);
    const refused = await answer(b, out, Object.values(ANSWERS));
    expect(refused.status).toBe(401);
    expect(refused.body).toContain('The answers do not match.');
    expect(await g.container.hasher.verify((await credentialOf(g, 'bob')).secretHash, normaliseForHash('bob password 1234'))).toBe(true);
  });

  test('a card client offers no recovery, and a recovery without a login flow has expired', async () => {
    const { page } = await openRecovery(g, {}, 'card-only');
    expect(page.status).toBe(404);
    expect(stepOf(page.body)).toBe('recovery-unavailable');
    const b = new Browser(g.url, { 'accept-language': 'en' });
    const gone = await b.follow('/recovery/no-such-login');
    expect(gone.status).toBe(410);
    expect(gone.body).toContain('expired');
  });

  test('CS-02 the recovery pages send no Referer and are not cached', async () => {
    const { page } = await openRecovery(g);
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(page.headers.get('cache-control')).toBe('no-store');
  });

  test('ASVS-13 after recovery, the next login of an account with TOTP still asks the second factor', async () => {
    await g.admin.seed({ subscriptions: [], accounts: [seedAccount('otto-sca', { email: 'otto-sca@example.com' })], clients: [{ ...TEST_CLIENT, client_id: 'bank-sca', first_party: true, guichet_minimum_level: 'sca' }] });
    await setAnswers(g, 'otto-sca');
    const otto = await accountOf(g, 'otto-sca');
    const clock = g.container.clock;
    const enrolment = createOathEnrolment({ factors: g.container.repos.factors, clock });
    const started = enrolment.beginTotpEnrolment('otto-sca', 'Guichet');
    const code = () => generateTotp(decodeBase32(started.secret), clock.now(), { algorithm: 'SHA1', digits: 6, period: 30 });
    expect((await enrolment.confirmTotpEnrolment(otto.id, started.secret, code())).kind).toBe('enrolled');
    const { b, out } = await request(g, captcha, 'otto-sca', 'questions');
    expect(stepOf((await answer(b, out, rightAnswers(out))).body)).toBe('recovery-done');
    const next = await login(g, 'otto-sca', NEW_PASSWORD, 'bank-sca');
    expect(stepOf(next.body)).toBe('otp');
    expect(next.url).not.toContain('code=');
    expect(await g.container.repos.factors.listForAccount(otto.id, 'totp')).toHaveLength(1);
  });
});

describe('strict profile: an e-mailed link before the questions (G-1)', () => {
  let g: RunningGuichet;
  let smtp: Smtp;
  const captcha = knownCaptcha();
  const clock = new ManualClock(new Date());
  beforeAll(async () => {
    smtp = await startSmtpServer();
    g = await startGuichet({ clock, captchaSource: captcha, config: { smtpUrl: smtp.url, trustProxy: true, abuse: highLimits, recovery: { emailLinkFirst: true } } });
    await seedBasics(g);
    await g.admin.seed({
      subscriptions: [],
      accounts: [seedAccount('lena', { email: 'lena@example.com' }), seedAccount('marc', { email: 'marc@example.com', locale: 'fr' }), seedAccount('nina', { email: 'nina@example.com' }), seedAccount('omar', { email: 'omar@example.com' }), seedAccount('pia', { email: 'pia@example.com' })],
      clients: [],
    });
    for (const u of ['alice', 'lena', 'marc', 'nina', 'omar']) await setAnswers(g, u);
  });
  afterAll(async () => {
    await g?.stop();
    await smtp?.stop();
  });

  /** The mail after the `before` first ones sent to that address (mails go out after the page answered). */
  async function nextMailTo(email: string, before: number): Promise<ReceivedMail> {
    const until = Date.now() + 10_000;
    while (smtp.mails.filter((m) => m.to === email).length <= before && Date.now() < until) await new Promise((r) => setTimeout(r, 25));
    const mail = smtp.mails.filter((m) => m.to === email)[before];
    if (!mail) throw new Error(`no new mail to ${email}`);
    return mail;
  }

  async function linkFor(username: string, email: string, headers: Record<string, string> = {}): Promise<string> {
    const before = smtp.mails.filter((m) => m.to === email).length;
    const { out } = await request(g, captcha, username, 'questions', headers);
    expect(stepOf(out.body)).toBe('recovery-link-sent');
    return linkIn(await nextMailTo(email, before));
  }

  test('CS-03 answers alone never recover: without the link there are no questions to answer', async () => {
    const { b, uid, out } = await request(g, captcha, 'lena', 'questions');
    expect(stepOf(out.body)).toBe('recovery-link-sent');
    expect(out.body).not.toContain('name="answer_1"');
    const direct = await b.request(`/recovery/${uid}/questions`);
    expect(direct.status).toBe(303);
    expect(direct.headers.get('location')).toBe(`/recovery/${uid}`);
    const posted = await b.request(`/recovery/${uid}/questions`, { form: { csrf: 'x', answer_1: ANSWERS['first-pet']!, answer_2: ANSWERS['first-teacher']!, answer_3: ANSWERS['first-concert']!, secret: NEW_PASSWORD, confirmation: NEW_PASSWORD } });
    expect(posted.status).toBe(303);
    expect(await g.container.repos.audit.list({ accountId: (await accountOf(g, 'lena')).id, action: 'recovery.answers', limit: 5 })).toHaveLength(0);
    expect((await login(g, 'lena', PASSWORD)).url).toContain('code=');
  });

  test('CS-02 the same page for active, suspended and unknown identifiers; the link is built from the issuer even with a forged Host header', async () => {
    const pages: Page[] = [];
    for (const who of ['alice', 'bob', 'nobody-here']) pages.push((await request(g, captcha, who, 'questions')).out);
    expect(new Set(pages.map((p) => p.status))).toEqual(new Set([200]));
    expect(strip(pages[1]!)).toBe(strip(pages[0]!));
    expect(strip(pages[2]!)).toBe(strip(pages[0]!));
    // fetch cannot forge Host; node:http can. Behind a trusted proxy the host comes from X-Forwarded-Host.
    const forged = async (headers: Record<string, string>) => {
      const before = smtp.mails.filter((m) => m.to === 'pia@example.com').length;
      const { b, page } = await openRecovery(g);
      const form = formOf(page.body, 'recovery-start');
      const body = new URLSearchParams({ csrf: form.csrf, identifier: 'pia', method: 'questions', captcha: captcha.answers.at(-1)! }).toString();
      const status = await new Promise<number>((resolve, reject) => {
        const req = httpRequest(new URL(form.action, g.url), { method: 'POST', headers: { ...headers, cookie: b.jar.header(), 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end(body);
      });
      expect(status).toBe(200);
      return linkIn(await nextMailTo('pia@example.com', before));
    };
    for (const link of [await forged({ host: 'evil.example' }), await forged({ 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' })]) {
      expect(link.startsWith(`${g.url}/recovery/`)).toBe(true);
      expect(link).not.toContain('evil');
    }
    const link = await linkFor('nina', 'nina@example.com');
    const token = new URL(link).searchParams.get('token')!;
    expect(token.length).toBeGreaterThanOrEqual(43);
    const keys = await g.container.store.get(`recovery:link:${createHash('sha256').update(token).digest('base64url')}`);
    expect(keys).not.toBeNull();
    expect(keys).not.toContain(token);
  });

  test('CS-02 the link works once, a newer one cancels it, and it expires', async () => {
    const older = await linkFor('omar', 'omar@example.com');
    const link = await linkFor('omar', 'omar@example.com');
    const b = new Browser(g.url, { 'accept-language': 'en' });
    const superseded = await b.follow(older);
    expect(superseded.status).toBe(410);
    expect(stepOf(superseded.body)).toBe('recovery-link-invalid');
    const opened = await b.follow(link);
    expect(stepOf(opened.body)).toBe('recovery-questions');
    const other = new Browser(g.url, { 'accept-language': 'en' });
    expect((await other.follow(link)).status).toBe(410);
    const late = await linkFor('omar', 'omar@example.com');
    clock.advance(31 * 60_000);
    expect((await other.follow(late)).status).toBe(410);
  });

  test('CS-03 a wrong answer counts on the password’s counter: two wrong passwords and three wrong answers block it', async () => {
    for (let i = 0; i < 2; i++) expect((await login(g, 'marc', 'nope')).status).toBe(401);
    const b = new Browser(g.url, { 'accept-language': 'en' });
    let page = await b.follow(await linkFor('marc', 'marc@example.com'));
    page = await answer(b, page, ['x', 'y', 'z']);
    expect(page.status).toBe(401);
    expect((await credentialOf(g, 'marc')).failedCount).toBe(3);
    page = await answer(b, page, ['x', 'y', 'z']);
    const blocked = await answer(b, page, ['x', 'y', 'z']);
    expect(blocked.status).toBe(403);
    expect((await login(g, 'marc', PASSWORD)).status).toBe(403);
  });

  test('CS-03 re-requesting shows the same questions; the right answers after the link renew the password; mails in the account language', async () => {
    const b1 = new Browser(g.url, { 'accept-language': 'en' });
    const first = await b1.follow(await linkFor('nina', 'nina@example.com'));
    const b2 = new Browser(g.url, { 'accept-language': 'en' });
    const second = await b2.follow(await linkFor('nina', 'nina@example.com'));
    expect(questionsOn(second)).toEqual(questionsOn(first));
    const before = smtp.mails.length;
    const done = await answer(b2, second, rightAnswers(second));
    expect(stepOf(done.body)).toBe('recovery-done');
    expect((await login(g, 'nina', NEW_PASSWORD)).url).toContain('code=');
    const mails = await smtp.waitFor(before + 1, 10_000);
    expect(mails.slice(before).some((m) => m.to === 'nina@example.com' && m.subject === 'Your Guichet password was changed')).toBe(true);
    const linkMail = smtp.mails.find((m) => m.to === 'marc@example.com')!;
    expect(linkMail.subject).toBe('Retrouver l’accès à votre compte Guichet');
    expect(linkMail.text).toContain('Il ne sert qu’une fois');
    expect(linkMail.text).toContain('nouveau mot de passe');
  });
});

describe('recovery mail content', () => {
  const at = new Date('2026-03-04T10:15:00Z');
  test('the temporary password, link and notice mails are right in French and English, text and HTML', () => {
    const fr = temporarySecretMail('fr', 'pin', '482913', at);
    expect(fr.subject).toBe('Votre code temporaire Guichet');
    expect(fr.text).toContain('482913');
    expect(fr.text).toContain('expire le 4 mars 2026 à 11:15');
    expect(fr.text).toContain('votre code confidentiel actuel reste valable');
    expect(fr.html).toContain('482913');
    const en = temporarySecretMail('en', 'password', 'Abc<def>', at);
    expect(en.text).toContain('expires on 4 March 2026 at 11:15');
    expect(en.html).toContain('Abc&lt;def&gt;');
    const link = recoveryLinkMail('en', 'pin', 'https://guichet.example/recovery/u/link?token=t', at);
    expect(link.text).toContain('choose a new confidential code');
    expect(link.text).toContain('https://guichet.example/recovery/u/link?token=t');
    const notice = secretChangedMail('fr', 'password', at);
    expect(notice.subject).toBe('Votre mot de passe Guichet a été changé');
    expect(notice.text).toContain('4 mars 2026');
  });
});

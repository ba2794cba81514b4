import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { startGuichet, seedBasics, knownCaptcha, TEST_CLIENT, type RunningGuichet } from '../helpers/guichet.js';
import { Browser, formOf, type Page } from '../helpers/browserless.js';
import { startSmtpServer } from '../helpers/smtp.js';
import { TEST_REDIS_URL } from '../helpers/services.js';
import { ManualClock } from '../../src/lib/clock.js';

const PASSWORD = 'correct horse battery staple';

function authUrl(g: RunningGuichet, clientId = TEST_CLIENT.client_id): string {
  const verifier = randomBytes(32).toString('base64url');
  return `${g.url}/auth?${new URLSearchParams({ client_id: clientId, response_type: 'code', scope: 'openid', redirect_uri: TEST_CLIENT.redirect_uris[0]!, code_challenge: createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256' })}`;
}

async function secretForm(g: RunningGuichet, identifier: string, headers: Record<string, string> = {}, factor = 'password') {
  const b = new Browser(g.url, { 'accept-language': 'en', ...headers });
  const first = await b.follow(authUrl(g));
  const identify = formOf(first.body, 'identify');
  const second = await b.follow(identify.action, { form: { csrf: identify.csrf, identifier } });
  return { browser: b, form: formOf(second.body, factor), page: second };
}

async function attempt(g: RunningGuichet, identifier: string, password: string, headers: Record<string, string> = {}): Promise<Page> {
  const { browser, form } = await secretForm(g, identifier, headers);
  return browser.follow(form.action, { form: { csrf: form.csrf, password } });
}

/** Drops every key of this Guichet's Redis prefix: what a Redis restart without persistence does. */
async function loseRedisData(prefix: string): Promise<void> {
  const redis = new Redis(TEST_REDIS_URL);
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
}

const noCaptchaHighLimits = { abuse: { captchaAfterFailures: 0, perIp: { points: 100000 }, perIdentifier: { points: 100000 } } };

describe('lockout', () => {
  let g: RunningGuichet;
  const prefix = `guichet-test:lockout-${randomBytes(4).toString('hex')}:`;
  beforeAll(async () => {
    g = await startGuichet({ redisPrefix: prefix, config: { ...noCaptchaHighLimits, trustProxy: true } });
    await seedBasics(g);
    await g.admin.seed({
      subscriptions: [],
      accounts: ['carol', 'dan', 'erin', 'frank'].map((username) => ({ username, status: 'active' as const, emailVerified: false, locale: 'en' as const, roles: [], preferences: {}, password: PASSWORD, passwordMustChange: false })),
      clients: [],
    });
  });
  afterAll(async () => g?.stop());

  const credentialOf = async (username: string) => {
    const account = await g.container.repos.accounts.findByIdentifier({ scheme: 'username', username });
    return (await g.container.repos.credentials.find(account!.id, 'password'))!;
  };

  test('PSD2-06 50 parallel wrong attempts block the credential with at most 5 evaluated; the right password is then refused', async () => {
    const { browser, form } = await secretForm(g, 'alice');
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => browser.request(form.action, { form: { csrf: form.csrf, password: `wrong guess ${i}` } })));
    expect(results.every((r) => r.status === 401 || r.status === 403)).toBe(true);
    const alice = await credentialOf('alice');
    expect(alice.blockedAt).not.toBeNull();
    const events = await g.container.repos.audit.list({ accountId: alice.accountId, action: 'login.password', limit: 100 });
    expect(events.filter((e) => e.reason === 'wrong_secret')).toHaveLength(5);
    expect(events.filter((e) => e.reason === 'credential_blocked')).toHaveLength(45);
    const right = await attempt(g, 'alice', PASSWORD);
    expect(right.status).toBe(403);
    expect(right.body).toContain('temporary code');
    expect(right.url).not.toContain('code=');
  });

  test('PSD2-06 a Redis restart unblocks nobody and forgets no failure', async () => {
    for (let i = 0; i < 3; i++) expect((await attempt(g, 'carol', 'nope')).status).toBe(401);
    await loseRedisData(prefix);
    expect((await attempt(g, 'carol', 'nope')).status).toBe(401);
    const fifth = await attempt(g, 'carol', 'nope');
    expect(fifth.status).toBe(403);
    await loseRedisData(prefix);
    expect((await attempt(g, 'carol', PASSWORD)).status).toBe(403);
  });

  test('CS-04 the counter is per account across addresses, the message generic until blocked', async () => {
    const bodies = new Set<string>();
    for (let i = 0; i < 4; i++) {
      const out = await attempt(g, 'dan', 'nope', { 'x-forwarded-for': `203.0.113.${i + 1}` });
      expect(out.status).toBe(401);
      bodies.add(out.body.match(/role="alert"[^>]*>([^<]+)/)![1]!);
    }
    expect([...bodies]).toEqual(['Wrong identifier or password.']);
    expect((await attempt(g, 'dan', 'nope', { 'x-forwarded-for': '198.51.100.9' })).status).toBe(403);
    expect((await credentialOf('dan')).blockedAt).not.toBeNull();
  });

  test('PSD2-05 nothing tells which element was wrong: unknown identifier and wrong password read the same, blocked included', async () => {
    const strip = (p: Page) => p.body.replace(/\/(interaction|recovery)\/[\w-]+/g, '').replace(/value="[^"]*"/g, '').replace(/Identifier: [^<]+/, '');
    const unknown = await attempt(g, 'nobody-at-all', 'nope');
    const wrong = await attempt(g, 'erin', 'nope');
    expect(unknown.status).toBe(wrong.status);
    expect(strip(unknown)).toBe(strip(wrong));
    for (let i = 0; i < 4; i++) {
      await attempt(g, 'erin', 'nope');
      await attempt(g, 'nobody-at-all', 'nope');
    }
    const blockedKnown = await attempt(g, 'erin', 'nope');
    const blockedUnknown = await attempt(g, 'nobody-at-all', 'nope');
    expect(blockedKnown.status).toBe(403);
    expect(blockedUnknown.status).toBe(403);
    expect(strip(blockedUnknown)).toBe(strip(blockedKnown));
  });

  test('PSD2-08 a blocked user regains access only through an administrator, never with the blocked secret', async () => {
    for (let i = 0; i < 5; i++) await attempt(g, 'frank', 'nope');
    expect((await attempt(g, 'frank', PASSWORD)).status).toBe(403);
    expect((await attempt(g, 'frank', PASSWORD)).status).toBe(403);
    await g.container.lockout.unblock(await credentialOf('frank'));
    const after = await attempt(g, 'frank', PASSWORD);
    expect(after.url).toContain('code=');
  });
});

describe('temporary blocks and alerts', () => {
  let g: RunningGuichet;
  let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
  const clock = new ManualClock(new Date());
  beforeAll(async () => {
    smtp = await startSmtpServer();
    g = await startGuichet({ clock, config: { ...noCaptchaHighLimits, smtpUrl: smtp.url, lockout: { maxAttempts: 5, temporaryBlocks: 1, temporaryBlockSeconds: 900, alert: true } } });
    await seedBasics(g);
  });
  afterAll(async () => {
    await g?.stop();
    await smtp?.stop();
  });

  test('PSD2-07 the last temporary block warns the owner before the permanent one', async () => {
    for (let i = 0; i < 4; i++) expect((await attempt(g, 'alice', 'nope')).status).toBe(401);
    const temporary = await attempt(g, 'alice', 'nope');
    expect(temporary.status).toBe(403);
    expect(temporary.body).toContain('temporarily blocked');
    const mails = await smtp.waitFor(1);
    expect(mails[0]!.to).toBe('alice@example.com');
    expect(mails[0]!.subject).toBe('Votre accès Guichet est bloqué temporairement');
    expect(mails[0]!.text).toContain('le blocage sera définitif');
    expect((await attempt(g, 'alice', PASSWORD)).status).toBe(403);
    clock.advance(901_000);
    for (let i = 0; i < 5; i++) await attempt(g, 'alice', 'nope');
    const permanent = await attempt(g, 'alice', PASSWORD);
    expect(permanent.status).toBe(403);
    expect(permanent.body).toContain('temporary code');
    clock.advance(7 * 86400_000);
    expect((await attempt(g, 'alice', PASSWORD)).status).toBe(403);
    await smtp.waitFor(2);
    expect(smtp.mails[1]!.subject).toBe('Votre accès Guichet est bloqué');
    const alice = await g.container.repos.accounts.findByIdentifier({ scheme: 'username', username: 'alice' });
    const alerts = await g.container.repos.audit.list({ accountId: alice!.id, limit: 200 });
    const warning = alerts.find((e) => e.action === 'credential.block_warning')!;
    const final = alerts.find((e) => e.action === 'credential.block_alert' && e.reason === 'permanent')!;
    expect(warning).toBeTruthy();
    expect(final).toBeTruthy();
    expect(warning.id).toBeLessThan(final.id);
    expect(JSON.stringify(smtp.mails)).not.toContain('nope');
  });
});

describe('anti-automation', () => {
  let g: RunningGuichet;
  const captcha = knownCaptcha();
  beforeAll(async () => {
    g = await startGuichet({ captchaSource: captcha, config: { trustProxy: true, abuse: { captchaAfterFailures: 3, perIp: { points: 100000 }, perIdentifier: { points: 8, durationSeconds: 900 } } } });
    await seedBasics(g);
  });
  afterAll(async () => g?.stop());

  test('CS-07 failures spread over many addresses on one identifier bring the captcha; the right answer works once', async () => {
    for (let i = 0; i < 3; i++) expect((await attempt(g, 'alice', 'nope', { 'x-forwarded-for': `192.0.2.${i + 10}` })).status).toBe(401);
    const { browser, form, page } = await secretForm(g, 'alice', { 'x-forwarded-for': '192.0.2.99' });
    expect(page.body).toContain('name="captcha"');
    expect(page.body).toContain('data:image/svg+xml;base64,');
    const answer = captcha.answers.at(-1)!;
    const stored = await g.container.store.get(`captcha:${new URL(form.action, g.url).pathname.split('/')[2]}`);
    expect(stored).not.toBeNull();
    expect(stored).not.toContain(answer);
    const wrong = await browser.follow(form.action, { form: { csrf: form.csrf, password: PASSWORD, captcha: 'WRONG' } });
    expect(wrong.status).toBe(400);
    expect(wrong.body).toContain('do not match');
    const fresh = captcha.answers.at(-1)!;
    const ok = await browser.follow(form.action, { form: { csrf: form.csrf, password: PASSWORD, captcha: fresh.toLowerCase() } });
    expect(ok.url).toContain('code=');
  });

  test('ASVS-05 a credential-stuffing run from many addresses hits the per-identifier throttle (429)', async () => {
    let limited: Page | undefined;
    for (let i = 0; i < 12 && !limited; i++) {
      const { browser, form } = await secretForm(g, 'claire-nobody', { 'x-forwarded-for': `198.18.0.${i + 1}` });
      const out = await browser.follow(form.action, { form: { csrf: form.csrf, password: 'stuffed', captcha: captcha.answers.at(-1) ?? '' } });
      if (out.status === 429) limited = out;
    }
    expect(limited).toBeDefined();
    expect(limited!.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(limited!.body).toContain('Too many attempts');
  });
});

describe('forgot identifier', () => {
  let g: RunningGuichet;
  let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
  beforeAll(async () => {
    smtp = await startSmtpServer();
    g = await startGuichet({ config: { ...noCaptchaHighLimits, smtpUrl: smtp.url } });
    await seedBasics(g);
  });
  afterAll(async () => {
    await g?.stop();
    await smtp?.stop();
  });

  async function ask(email: string): Promise<{ page: Page; ms: number }> {
    const b = new Browser(g.url, { 'accept-language': 'en' });
    const first = await b.follow(authUrl(g));
    const link = /href="([^"]+\/forgot-identifier)"/.exec(first.body)![1]!;
    const formPage = await b.follow(link);
    const form = formOf(formPage.body, 'forgot-identifier');
    const started = process.hrtime.bigint();
    const page = await b.follow(form.action, { form: { csrf: form.csrf, email } });
    return { page, ms: Number(process.hrtime.bigint() - started) / 1e6 };
  }

  test('ASVS-08 a known and an unknown address get the same page in comparable time; only the known one gets mail, in its language', async () => {
    const known: number[] = [];
    const unknown: number[] = [];
    let pages: string[] = [];
    for (let i = 0; i < 5; i++) {
      const a = await ask('alice@example.com');
      const b = await ask(`nobody${i}@example.com`);
      known.push(a.ms);
      unknown.push(b.ms);
      pages = [a.page.body, b.page.body].map((x) => x.replace(/\/(interaction|recovery)\/[\w-]+/g, ''));
      expect(a.page.status).toBe(b.page.status);
    }
    expect(pages[0]).toBe(pages[1]);
    expect(pages[0]).toContain('data-step="forgot-identifier-sent"');
    const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[2]!;
    // The lookup and the mail run after the answer: both cost one page render, so their medians stay close.
    const [k, u] = [median(known), median(unknown)];
    expect(Math.abs(k - u)).toBeLessThan(Math.max(50, 0.5 * Math.max(k, u)));
    const mails = await smtp.waitFor(5, 20_000);
    expect(mails).toHaveLength(5);
    expect(mails.every((m) => m.to === 'alice@example.com')).toBe(true);
    expect(mails[0]!.subject).toBe('Votre identifiant Guichet');
    expect(mails[0]!.text).toContain('alice');
    expect(mails[0]!.text).toContain('SUB-1 / 01');
    expect(mails[0]!.html).toContain('<p>');
  });

  test('a suspended account gets no mail and the same page', async () => {
    await smtp.waitFor(5, 20_000);
    const before = smtp.mails.length;
    const bob = await g.container.repos.accounts.findByIdentifier({ scheme: 'username', username: 'bob' });
    await g.container.db('accounts').where({ id: bob!.id }).update({ email: 'bob@example.com' });
    const out = await ask('bob@example.com');
    expect(out.page.body).toContain('data-step="forgot-identifier-sent"');
    await new Promise((r) => setTimeout(r, 1000));
    expect(smtp.mails.length).toBe(before);
  });
});

import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomBytes, createHash } from 'node:crypto';
import { startGuichet, seedBasics, TEST_CLIENT, type RunningGuichet } from '../helpers/guichet.js';
import { createTestDatabase, TEST_DATABASE_URL, TEST_REDIS_URL } from '../helpers/services.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import { Browser, formOf } from '../helpers/browserless.js';

let g: RunningGuichet;
let database: Awaited<ReturnType<typeof createTestDatabase>>;
const redis = new URL(TEST_REDIS_URL);
const pg = new URL(TEST_DATABASE_URL);
const redisProxy = new TcpProxy(redis.hostname, Number(redis.port || 6379));
const pgProxy = new TcpProxy(pg.hostname, Number(pg.port || 5432));

beforeAll(async () => {
  await redisProxy.start();
  await pgProxy.start();
  database = await createTestDatabase();
  const viaProxy = new URL(database.url);
  viaProxy.port = String(pgProxy.port);
  const redisViaProxy = new URL(TEST_REDIS_URL);
  redisViaProxy.port = String(redisProxy.port);
  g = await startGuichet({ databaseUrl: viaProxy.href, config: { redisUrl: redisViaProxy.href } });
  await seedBasics(g);
});
afterAll(async () => {
  await redisProxy.restore().catch(() => undefined);
  await pgProxy.restore().catch(() => undefined);
  await g?.stop();
  await redisProxy.cut();
  await pgProxy.cut();
  await database?.drop();
});

const authUrl = () => {
  const challenge = createHash('sha256').update(randomBytes(32).toString('base64url')).digest('base64url');
  return `${g.url}/auth?${new URLSearchParams({ client_id: TEST_CLIENT.client_id, response_type: 'code', scope: 'openid', redirect_uri: TEST_CLIENT.redirect_uris[0]!, code_challenge: challenge, code_challenge_method: 'S256' })}`;
};

const authorize = () => {
  const challenge = createHash('sha256').update(randomBytes(32).toString('base64url')).digest('base64url');
  return fetch(`${g.url}/auth?${new URLSearchParams({ client_id: TEST_CLIENT.client_id, response_type: 'code', scope: 'openid', redirect_uri: TEST_CLIENT.redirect_uris[0]!, code_challenge: challenge, code_challenge_method: 'S256' })}`, { redirect: 'manual', headers: { accept: 'text/html', 'accept-language': 'en' } });
};

async function eventually(check: () => Promise<boolean>, seconds = 15): Promise<void> {
  for (let i = 0; i < seconds * 5; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('condition not reached');
}

describe('storage outages', () => {
  test('Redis down: readiness fails, pages and token endpoint answer 503; back up: recovers by itself', async () => {
    expect((await fetch(`${g.url}/readyz`)).status).toBe(200);
    await redisProxy.cut();
    const ready = await fetch(`${g.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ checks: { store: 'unavailable', database: 'ok' } });
    const page = await authorize();
    expect(page.status).toBe(503);
    expect(await page.text()).toContain('temporarily unavailable');
    const token = await fetch(`${g.url}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: 'Basic ' + Buffer.from(`${TEST_CLIENT.client_id}:${TEST_CLIENT.client_secret}`).toString('base64') }, body: 'grant_type=refresh_token&refresh_token=abc' });
    expect(token.status).toBe(503);
    expect(await token.json()).toMatchObject({ error: 'temporarily_unavailable' });
    expect((await fetch(`${g.url}/healthz`)).status).toBe(200);
    await redisProxy.restore();
    await eventually(async () => (await fetch(`${g.url}/readyz`)).status === 200);
    expect((await authorize()).status).toBe(303);
  });

  test('Postgres down: readiness fails and the password check answers 503; back up: recovers by itself', async () => {
    await pgProxy.cut();
    const ready = await fetch(`${g.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ checks: { database: 'unavailable' } });
    // Clients are cached and flows live in Redis, so the login pages still show; the password
    // check needs the database and says the service is unavailable.
    const b = new Browser(g.url, { 'accept-language': 'en' });
    const first = await b.follow(authUrl());
    expect(first.status).toBe(200);
    const identify = formOf(first.body, 'identify');
    const second = await b.follow(identify.action, { form: { csrf: identify.csrf, identifier: 'alice' } });
    const pw = formOf(second.body, 'password');
    const attempt = await b.request(pw.action, { form: { csrf: pw.csrf, password: 'correct horse battery staple' } });
    expect(attempt.status).toBe(503);
    expect(await attempt.text()).toContain('temporarily unavailable');
    await pgProxy.restore();
    await eventually(async () => (await fetch(`${g.url}/readyz`)).status === 200);
    expect((await authorize()).status).toBe(303);
  });
});

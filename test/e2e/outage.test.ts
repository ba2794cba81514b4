import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomBytes, createHash } from 'node:crypto';
import { startGuichet, seedBasics, TEST_CLIENT, type RunningGuichet } from '../helpers/guichet.js';
import { createTestDatabase, TEST_DATABASE_URL, TEST_REDIS_URL } from '../helpers/services.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';

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

  test('Postgres down: readiness fails and the login page answers 503; back up: recovers by itself', async () => {
    await pgProxy.cut();
    const ready = await fetch(`${g.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ checks: { database: 'unavailable' } });
    // The client is cached in-process, so the authorization request itself still answers; the
    // login page needs the database and says the service is unavailable.
    const first = await authorize();
    expect(first.status).toBe(303);
    const login = await fetch(new URL(first.headers.get('location')!, g.url), { redirect: 'manual', headers: { accept: 'text/html', 'accept-language': 'en', cookie: first.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ') } });
    expect(login.status).toBe(503);
    expect(await login.text()).toContain('temporarily unavailable');
    await pgProxy.restore();
    await eventually(async () => (await fetch(`${g.url}/readyz`)).status === 200);
    expect((await authorize()).status).toBe(303);
  });
});

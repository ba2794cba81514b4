import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { loadConfig } from '../../src/config/load.js';
import { createCoreContainer } from '../../src/container.js';
import { createAccountAdmin } from '../../src/admin/account-admin.js';
import { createTestDatabase, testRedisPrefix, TEST_REDIS_URL } from '../helpers/services.js';
import { Browser, formOf } from '../helpers/browserless.js';
import { TEST_CLIENT } from '../helpers/guichet.js';

/** Two real Guichet processes behind one issuer, sharing Postgres and Redis (DESIGN.md "Scale"). */
const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

let database: Awaited<ReturnType<typeof createTestDatabase>>;
const processes: ChildProcess[] = [];
let a: string;
let b: string;
const secretKey = randomBytes(32).toString('base64');

async function waitReady(url: string, child: ChildProcess, output: string[]): Promise<void> {
  for (let i = 0; i < 150; i++) {
    if (child.exitCode !== null) throw new Error(`process exited: ${output.join('')}`);
    try {
      if ((await fetch(`${url}/readyz`)).status === 200) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`not ready: ${output.join('')}`);
}

beforeAll(async () => {
  database = await createTestDatabase();
  const [portA, portB] = [await freePort(), await freePort()];
  a = `http://localhost:${portA}`;
  b = `http://localhost:${portB}`;
  const env = { ...process.env, DATABASE_URL: database.url, REDIS_URL: TEST_REDIS_URL, GUICHET_REDIS_PREFIX: testRedisPrefix(), GUICHET_ISSUER: a, GUICHET_SECRET_KEY: secretKey, GUICHET_SEED_DEMO: 'false', GUICHET_SCA_PROFILE: 'basic', LOG_LEVEL: 'warn', NODE_OPTIONS: '' };
  const started = [portA, portB].map((port) => {
    const output: string[] = [];
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { env: { ...env, PORT: String(port), HOST: '127.0.0.1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d) => output.push(String(d)));
    child.stderr!.on('data', (d) => output.push(String(d)));
    processes.push(child);
    return waitReady(`http://localhost:${port}`, child, output);
  });
  await Promise.all(started);
  const core = await createCoreContainer(loadConfig({}, { databaseUrl: database.url, redisUrl: TEST_REDIS_URL, secretKey, logLevel: 'silent' }));
  await createAccountAdmin(core, 'test').seed({
    subscriptions: [],
    accounts: [{ username: 'alice', status: 'active', emailVerified: false, locale: 'fr', roles: [], preferences: {}, password: 'correct horse battery staple', passwordMustChange: false }],
    clients: [{ ...TEST_CLIENT, first_party: true }],
  });
  await core.close();
}, 90_000);

afterAll(async () => {
  for (const child of processes) child.kill('SIGTERM');
  await Promise.all(processes.map((c) => (c.exitCode !== null ? null : new Promise((r) => c.once('exit', r)))));
  await database?.drop();
});

describe('two Guichet processes sharing Postgres and Redis', () => {
  test('both serve the same JWKS and discovery', async () => {
    const [jwksA, jwksB] = await Promise.all([fetch(`${a}/jwks`).then((r) => r.json()), fetch(`${b}/jwks`).then((r) => r.json())]);
    expect(jwksA).toEqual(jwksB);
    expect((jwksA as { keys: { alg: string }[] }).keys.map((k) => k.alg).sort()).toEqual(['ES256', 'RS256']);
    // Endpoint URLs follow the Host each process was reached by (a load balancer sends the public one).
    const [discA, discB] = await Promise.all([fetch(`${a}/.well-known/openid-configuration`).then((r) => r.text()), fetch(`${b}/.well-known/openid-configuration`).then((r) => r.text())]);
    expect(JSON.parse(discA).issuer).toBe(a);
    expect(JSON.parse(discB.replaceAll(b, a))).toEqual(JSON.parse(discA));
  });

  test('a login begun on one finishes on the other; tokens from one work on the other', async () => {
    const verifier = randomBytes(32).toString('base64url');
    const params = new URLSearchParams({ client_id: TEST_CLIENT.client_id, response_type: 'code', scope: 'openid profile', redirect_uri: TEST_CLIENT.redirect_uris[0]!, state: 's', code_challenge: createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256' });
    const onA = new Browser(a);
    const first = await onA.follow(`/auth?${params}`);
    const identify = formOf(first.body, 'identify');
    const onB = new Browser(b);
    for (const [k, v] of onA.jar.cookies) onB.jar.cookies.set(k, v);
    const second = await onB.follow(identify.action, { form: { csrf: identify.csrf, identifier: 'alice' } });
    const pw = formOf(second.body, 'password');
    let out = await onB.follow(pw.action, { form: { csrf: pw.csrf, password: 'correct horse battery staple' } });
    // The resume URL names the issuer (process A); follow it there with the same cookies.
    for (const [k, v] of onB.jar.cookies) onA.jar.cookies.set(k, v);
    if (out.url.startsWith(a)) out = await onA.follow(out.url);
    const code = new URL(out.url).searchParams.get('code');
    expect(code).toBeTruthy();
    const basic = 'Basic ' + Buffer.from(`${TEST_CLIENT.client_id}:${TEST_CLIENT.client_secret}`).toString('base64');
    const token = await fetch(`${b}/token`, { method: 'POST', headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'authorization_code', code: code!, redirect_uri: TEST_CLIENT.redirect_uris[0]!, code_verifier: verifier }) });
    expect(token.status).toBe(200);
    const { access_token } = (await token.json()) as { access_token: string };
    const info = await fetch(`${a}/me`, { headers: { authorization: `Bearer ${access_token}` } });
    expect(info.status).toBe(200);
  });
});

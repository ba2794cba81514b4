/**
 * Where does Guichet's CPU go on one operation? Starts Guichet like `npm run bench` does (fresh
 * database, private Redis, seeded accounts) with `--cpu-prof`, drives one operation, stops it and
 * prints the main thread's self time by function and by package (argon2's own threads are not in a
 * V8 profile: their time shows as the gap between the profile and /proc CPU).
 *
 *   node --import tsx bench/profile.ts [login|refresh|cc|userinfo|introspect] [count=300] [concurrency=8]
 *
 * The .cpuprofile is kept (path printed) for Chrome DevTools or speedscope.
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { startWorker } from './lib/worker.js';
import { freePort, processCpuMs, sleep, threadCpuMs } from './lib/proc.js';
import { round } from './lib/stats.js';
import { createDatabase, startRedis } from './lib/services.js';
import { seed } from './lib/seed.js';
import type { RunResult } from './drivers/flow.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const [op = 'login', countArg = '300', concurrencyArg = '8'] = process.argv.slice(2);
const count = Number(countArg);
const concurrency = Number(concurrencyArg);
const ADMIN_DB_URL = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const PASSWORDS = Array.from({ length: 8 }, (_, i) => `bench-password-${i}-Correct-Horse`);
const CLIENT = { client_id: 'bench-rp', client_secret: randomBytes(32).toString('base64url'), client_name: 'Bench RP', redirect_uris: ['https://rp.bench.test/cb'], grant_types: ['authorization_code', 'refresh_token', 'client_credentials'], response_types: ['code'], token_endpoint_auth_method: 'client_secret_basic' };

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

function summarise(file: string, window: [number, number], top = 25): string {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: Node[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number };
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  // Sample timestamps are CLOCK_MONOTONIC µs, like process.hrtime here: keep the measured window only.
  const stamps: number[] = [];
  let t = profile.startTime;
  for (const d of profile.timeDeltas) stamps.push((t += d));
  const inWindow = stamps.some((s) => s >= window[0] && s <= window[1]);
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    if (inWindow && (stamps[i]! < window[0] || stamps[i]! > window[1])) return;
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const fn = new Map<string, number>();
  const pkg = new Map<string, number>();
  for (const [id, us] of self) {
    const n = byId.get(id)!;
    const url = n.callFrame.url.replace(`file://${root}/`, '');
    const where = url.includes('node_modules/') ? url.slice(url.lastIndexOf('node_modules/') + 13).split('/').slice(0, url.includes('node_modules/@') ? 2 : 1).join('/') : url.startsWith('node:') ? 'node:(core)' : url ? url.split('/').slice(0, url.startsWith('bench/.build/') ? 4 : 2).join('/') : `(${n.callFrame.functionName || 'native'})`;
    const name = `${n.callFrame.functionName || '(anonymous)'} ${url ? `${url.split('/').slice(-2).join('/')}:${n.callFrame.lineNumber + 1}` : ''}`;
    fn.set(name, (fn.get(name) ?? 0) + us);
    pkg.set(where, (pkg.get(where) ?? 0) + us);
  }
  const fmt = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]).slice(0, top).map(([k, v]) => `  ${(round((v / total) * 100, 1).toFixed(1) + '%').padStart(6)}  ${round(v / 1000, 0).toString().padStart(7)} ms  ${k}`).join('\n');
  return `main thread: ${round(total / 1000, 0)} ms sampled (${inWindow ? 'the measured window only' : 'whole process: clocks did not match'})\n\nby package / folder:\n${fmt(pkg)}\n\nby function (self time):\n${fmt(fn)}`;
}

const logDir = mkdtempSync(join(tmpdir(), 'guichet-profile-'));
const redis = await startRedis(process.env.BENCH_REDIS_URL);
const database = await createDatabase(ADMIN_DB_URL, `guichet_profile_${randomBytes(4).toString('hex')}`);
try {
  const secretKey = randomBytes(32).toString('base64');
  const prefix = `guichet-profile:${randomBytes(3).toString('hex')}:`;
  await seed({ databaseUrl: database.url, redisUrl: redis.url, redisPrefix: prefix, secretKey, dataDir: logDir, accounts: 2000, subscriptions: 50, userPrefix: 'bench-user-', passwords: PASSWORDS, client: CLIENT });
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const env = { ...process.env, NODE_ENV: 'production', PORT: String(port), HOST: '127.0.0.1', GUICHET_ISSUER: origin, DATABASE_URL: database.url, REDIS_URL: redis.url, GUICHET_REDIS_PREFIX: prefix, GUICHET_SECRET_KEY: secretKey, GUICHET_SEED_DEMO: 'false', GUICHET_SCA_PROFILE: 'basic', GUICHET_DATA_DIR: logDir, GUICHET_RATE_LIMIT_IP: '1000000', GUICHET_RATE_LIMIT_IDENTIFIER: '1000000', GUICHET_CAPTCHA_AFTER_FAILURES: '0' };
  delete (env as NodeJS.ProcessEnv).NODE_OPTIONS;
  const server = startWorker('guichet', process.execPath, ['--import', 'tsx', '--cpu-prof', '--cpu-prof-dir', logDir, 'src/main.ts'], { env, cwd: root, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${origin}/.well-known/openid-configuration`)).ok) break;
    } catch {
      /* starting */
    }
    if (i > 300) throw new Error('Guichet did not start');
    await sleep(200);
  }
  const driver = startWorker('driver', process.execPath, ['--import', 'tsx', 'bench/drivers/flow.ts'], { env, cwd: root });
  await driver.request({ cmd: 'configure', target: { origin, kind: 'guichet', clientId: CLIENT.client_id, clientSecret: CLIENT.client_secret, redirectUri: CLIENT.redirect_uris[0], scope: 'openid profile email', userPrefix: 'bench-user-', users: 2000, passwords: PASSWORDS } });
  if (op !== 'login') await driver.request({ cmd: 'prepare', sessions: Math.max(concurrency, 4) });
  const c0 = processCpuMs(server.pid);
  const th0 = threadCpuMs(server.pid);
  const w0 = Number(process.hrtime.bigint() / 1000n);
  const result = await driver.request<RunResult>({ cmd: 'closed', op, concurrency, count });
  const cpu = processCpuMs(server.pid) - c0;
  const th1 = threadCpuMs(server.pid);
  const w1 = Number(process.hrtime.bigint() / 1000n);
  await driver.stop();
  await server.stop('SIGTERM', 15_000);
  const file = readdirSync(logDir).find((f) => f.endsWith('.cpuprofile'));
  process.stdout.write(`${op} × ${result.ops} at concurrency ${concurrency}: ${round(result.ops / (result.wallMs / 1000), 1)}/s, server CPU ${round(cpu / result.ops, 2)} ms/op (every thread, /proc): event-loop thread ${round((th1.main - th0.main) / result.ops, 2)} ms (of which kernel ${round((th1.mainSystem - th0.mainSystem) / result.ops, 2)} ms), other threads (libuv pool, V8 helpers) ${round((th1.others - th0.others) / result.ops, 2)} ms; errors ${result.errors}\n`);
  process.stdout.write(file ? `${summarise(join(logDir, file), [w0, w1])}\n\nprofile: ${join(logDir, file)}\n` : 'no profile written\n');
} finally {
  await database.drop();
  await redis.stop();
}
process.exit(0);

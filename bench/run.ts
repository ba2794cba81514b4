/**
 * `npm run bench`: Guichet against its floors, in one run (issue 7; bench/README.md).
 *
 * Starts Postgres-backed Guichet (production mode, child process) and a bare oidc-provider on a Redis
 * of the bench's own, seeds thousands of accounts, measures the baselines (H: argon2id verify, O: bare
 * provider, R: raw round trips) and the scenarios, and reports the server's CPU time per operation
 * as ratios to the baselines of the same run (median of the repetitions). Writes
 * bench/results/<date>.json and prints a table.
 *
 * BENCH_QUICK=1 (≈ 2 min smoke run) · BENCH_SERVER_MODE=dist|tsx · BENCH_ACCOUNTS · BENCH_REPS ·
 * BENCH_DATABASE_URL (admin URL of the real Postgres) · BENCH_REDIS_URL (use that Redis instead of a
 * private redis-server) · BENCH_PIN_DRIVERS=<cpu list> (taskset the drivers) · UV_THREADPOOL_SIZE ·
 * BENCH_OUT (result file) · BENCH_COMPARE_MODES=1 (also run Guichet in the other mode, interleaved) ·
 * BENCH_EXPERIMENT=<name> (also run a Guichet with bench/servers/experiments/<name>.ts preloaded,
 * interleaved, to size a proposed fix; bound-argon2 reads BENCH_ARGON2_CONCURRENCY).
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Worker, startWorker } from './lib/worker.js';
import { freePort, machineCpuMs, machineInfo, processCpuMs, processMemory, sleep, sourceState, threadCpuMs } from './lib/proc.js';
import { median, medianOf, round, type Latency } from './lib/stats.js';
import { createDatabase, databaseStats, keyBreakdown, keyFamily, pgStatStatementsAvailable, startRedis, type RedisInfo, type RedisService } from './lib/services.js';
import { seed } from './lib/seed.js';
import type { RunResult, Target } from './drivers/flow.js';
import { encodeBase32 } from '../src/authenticators/oath/oath-codes.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const QUICK = process.env.BENCH_QUICK === '1';
const MODE = (process.env.BENCH_SERVER_MODE ?? 'dist') as 'dist' | 'tsx';
const COMPARE_MODES = process.env.BENCH_COMPARE_MODES === '1';
const REPS = Number(process.env.BENCH_REPS ?? (QUICK ? 1 : 3));
const S = QUICK
  ? { accounts: 2000, loginMs: 3000, openMs: 4000, tokenS: 2, isoMs: 4000, mixedMs: 8000, costLogins: 20, costOps: 50, warm: 200, hashMs: 1500 }
  : { accounts: 20000, loginMs: 8000, openMs: 10000, tokenS: 5, isoMs: 8000, mixedMs: 30000, costLogins: 60, costOps: 200, warm: 200, hashMs: 4000 };
const ACCOUNTS = Number(process.env.BENCH_ACCOUNTS ?? S.accounts);
const ADMIN_DB_URL = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const UV = process.env.UV_THREADPOOL_SIZE;
const PIN = process.env.BENCH_PIN_DRIVERS;
/** An experiment preloaded into Guichet only (bench/servers/experiments/<name>.ts), to size a proposed fix. */
const EXPERIMENT = process.env.BENCH_EXPERIMENT;

const USER_PREFIX = 'bench-user-';
const PASSWORDS = Array.from({ length: 8 }, (_, i) => `bench-password-${i}-Correct-Horse`);
const CLIENT = {
  client_id: 'bench-rp',
  client_secret: randomBytes(32).toString('base64url'),
  client_name: 'Bench RP',
  redirect_uris: ['https://rp.bench.test/cb'],
  grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
  response_types: ['code'],
  token_endpoint_auth_method: 'client_secret_basic',
};
const SCOPE = 'openid profile email';
/** Passkey scenario: accounts with a device-bound passkey; the RP ID and origin the software authenticator uses (http is allowed for localhost only). */
const PASSKEY = { prefix: 'bench-passkey-', accounts: QUICK ? 200 : 1000, rpId: 'localhost', origin: 'http://localhost' };
/** Second-factor scenario: accounts with a TOTP app, logging in with acr_values=SCA (one shared secret; codes are single use per account). */
const TOTP = { prefix: 'bench-totp-', accounts: Math.min(ACCOUNTS, 5000), secret: encodeBase32(randomBytes(20)), acr: 'urn:guichet:loa:sca' };

const log = (...parts: unknown[]) => process.stdout.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${parts.join(' ')}\n`);

// ---------------------------------------------------------------------------------------------
// Processes

const baseEnv = (): NodeJS.ProcessEnv => {
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  if (UV) env.UV_THREADPOOL_SIZE = UV;
  return env;
};

/** The Node flags every server and baseline runs with (the probe is added for servers only). */
const nodeFlags = (mode: 'dist' | 'tsx') => (mode === 'tsx' ? ['--import', 'tsx'] : []);
const built = (path: string, mode: 'dist' | 'tsx') => (mode === 'tsx' ? path : join('bench/.build', path.replace(/\.ts$/, '.js')));

function spawnNode(name: string, args: string[], env: NodeJS.ProcessEnv, stdio: 'inherit' | number = 'inherit', pin = false): Worker {
  const [cmd, pre] = pin && PIN ? ['taskset', ['-c', PIN, process.execPath]] : [process.execPath, []];
  return startWorker(name, cmd as string, [...(pre as string[]), ...args], { env, cwd: root, stdio: ['ignore', stdio, stdio, 'ipc'] });
}

interface Server {
  name: string;
  kind: 'guichet' | 'bare';
  origin: string;
  proc: Worker;
  prefix: string;
  logFile: string;
}

async function startServer(kind: 'guichet' | 'bare', mode: 'dist' | 'tsx', env: NodeJS.ProcessEnv, prefix: string, logDir: string, name: string = kind, experimentName?: string): Promise<Server> {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const logFile = join(logDir, `${name}.log`);
  const fd = openSync(logFile, 'a');
  const entry = kind === 'guichet' ? built('src/main.ts', mode) : built('bench/servers/bare-provider.ts', mode);
  const probe = `./${built('bench/servers/probe.ts', mode)}`;
  const experiment = experimentName ? ['--import', `./${built(`bench/servers/experiments/${experimentName}.ts`, mode)}`] : [];
  const proc = spawnNode(name, [...nodeFlags(mode), '--import', probe, ...experiment, entry], { ...env, PORT: String(port), HOST: '127.0.0.1', GUICHET_ISSUER: origin, BARE_ISSUER: origin, GUICHET_REDIS_PREFIX: prefix, BENCH_REDIS_PREFIX: prefix }, fd);
  for (let i = 0; ; i++) {
    if (proc.child.exitCode !== null) throw new Error(`${name} exited at start; see ${logFile}`);
    try {
      const res = await fetch(`${origin}/.well-known/openid-configuration`);
      if (res.ok) break;
    } catch {
      /* not listening yet */
    }
    if (i > 300) throw new Error(`${name} not ready after 60 s; see ${logFile}`);
    await sleep(200);
  }
  return { name, kind, origin, proc, prefix, logFile };
}

interface ProbeSnapshot {
  pgQueries: number;
  pgByStatement: Record<string, number>;
  redisCommands: number;
  redisRoundTrips: number;
  redisByCommand: Record<string, number>;
  eventLoop: { p50: number; p99: number; max: number; mean: number; samples: number };
  memory: { rss: number; heapUsed: number };
}
const probe = (s: Server, reset = false) => s.proc.request<ProbeSnapshot>({ cmd: 'probe', reset }, 10_000);

// ---------------------------------------------------------------------------------------------
// Measurement

interface Sample {
  ops: number;
  errors: number;
  dropped: number;
  ratePerS: number;
  wallMs: number;
  serverCpuMsPerOp: number;
  /** The event-loop thread's share, and every other thread's (libuv's pool: argon2, WebCrypto; V8's helpers). */
  serverMainThreadCpuMsPerOp: number;
  serverOtherThreadsCpuMsPerOp: number;
  serverCores: number;
  driverCpuMsPerOp: number;
  driverCores: number;
  machineBusyCores: number;
  /** Busy cores not accounted to the server, its driver or Redis: Postgres, the bench, and other people's processes (noise). */
  restOfBoxCores: number;
  redisCpuMsPerOp: number;
  pgQueriesPerOp: number;
  redisCommandsPerOp: number;
  redisRoundTripsPerOp: number;
  redisBytesPerOp: number;
  eventLoopLagP99Ms: number;
  eventLoopLagMaxMs: number;
  latency: Latency;
  steps: Record<string, Latency>;
  errorSamples?: string[];
}

interface Detail {
  pgByStatement: Record<string, number>;
  redisByCommand: Record<string, number>;
  commandstats: Record<string, number>;
}

const diffCounts = (a: Record<string, number>, b: Record<string, number>, ops: number) =>
  Object.fromEntries(
    Object.entries(b)
      .map(([k, v]) => [k, round((v - (a[k] ?? 0)) / ops, 3)] as const)
      .filter(([, v]) => v > 0)
      .sort((x, y) => y[1] - x[1]),
  );

let redis: RedisService;

/** Runs one driver command against one server and reads every counter around it. */
async function measure(server: Server, run: () => Promise<RunResult>): Promise<{ sample: Sample; detail: Detail }> {
  const p0 = await probe(server, true);
  const r0: RedisInfo = await redis.info();
  const m0 = machineCpuMs();
  const t0 = threadCpuMs(server.proc.pid);
  const c0 = processCpuMs(server.proc.pid);
  const res = await run();
  const c1 = processCpuMs(server.proc.pid);
  const t1 = threadCpuMs(server.proc.pid);
  const m1 = machineCpuMs();
  const r1 = await redis.info();
  const p1 = await probe(server);
  const ops = Math.max(1, res.ops);
  const wall = res.wallMs;
  const sample: Sample = {
    ops: res.ops,
    errors: res.errors,
    dropped: res.dropped,
    ratePerS: round((res.ops * 1000) / wall, 2),
    wallMs: round(wall, 0),
    serverCpuMsPerOp: round((c1 - c0) / ops, 3),
    serverMainThreadCpuMsPerOp: round((t1.main - t0.main) / ops, 3),
    serverOtherThreadsCpuMsPerOp: round((t1.others - t0.others) / ops, 3),
    serverCores: round((c1 - c0) / wall, 2),
    driverCpuMsPerOp: round(res.driverCpuMs / ops, 3),
    driverCores: round(res.driverCpuMs / wall, 2),
    machineBusyCores: round((m1.busy - m0.busy) / wall, 2),
    restOfBoxCores: round((m1.busy - m0.busy - (c1 - c0) - res.driverCpuMs - (r1.cpuSeconds - r0.cpuSeconds) * 1000) / wall, 2),
    redisCpuMsPerOp: round(((r1.cpuSeconds - r0.cpuSeconds) * 1000) / ops, 4),
    pgQueriesPerOp: round((p1.pgQueries - p0.pgQueries) / ops, 3),
    redisCommandsPerOp: round((p1.redisCommands - p0.redisCommands) / ops, 3),
    redisRoundTripsPerOp: round((p1.redisRoundTrips - p0.redisRoundTrips) / ops, 3),
    redisBytesPerOp: round((r1.usedMemory - r0.usedMemory) / ops, 0),
    eventLoopLagP99Ms: round(p1.eventLoop.p99, 2),
    eventLoopLagMaxMs: round(p1.eventLoop.max, 2),
    latency: res.latency,
    steps: res.steps,
    ...(res.errorSamples.length ? { errorSamples: res.errorSamples } : {}),
  };
  const commands0 = { ...r0.commands };
  const commands1 = { ...r1.commands };
  delete commands0.info;
  delete commands1.info;
  return {
    sample,
    detail: { pgByStatement: diffCounts(p0.pgByStatement, p1.pgByStatement, ops), redisByCommand: diffCounts(p0.redisByCommand, p1.redisByCommand, ops), commandstats: diffCounts(commands0, commands1, ops) },
  };
}

interface Scenario {
  median: Sample;
  reps: Sample[];
  detail?: Detail;
}
const results: Record<string, Record<string, Scenario>> = {};

function record(id: string, server: string, samples: Sample[], detail?: Detail): Scenario {
  const s: Scenario = { median: medianOf(samples), reps: samples, ...(detail ? { detail } : {}) };
  (results[id] ??= {})[server] = s;
  const m = s.median;
  log(`${id.padEnd(22)} ${server.padEnd(8)} ${String(m.ratePerS).padStart(8)}/s  cpu ${String(m.serverCpuMsPerOp).padStart(7)} ms/op  p99 ${String(m.latency.p99).padStart(7)} ms  errors ${m.errors}${m.errors && samples[0]?.errorSamples ? ` (${samples[0].errorSamples[0]})` : ''}`);
  return s;
}

/** Repeats a scenario, alternating the servers inside each repetition (drift hits both alike). */
async function repeated(id: string, servers: Server[], run: (s: Server) => Promise<RunResult>, beforeEachRep?: () => Promise<void>): Promise<Record<string, Scenario>> {
  const samples = new Map<string, Sample[]>(servers.map((s) => [s.name, []]));
  for (let r = 0; r < REPS; r++) {
    if (beforeEachRep) await beforeEachRep();
    for (const s of servers) samples.get(s.name)!.push((await measure(s, () => run(s))).sample);
  }
  return Object.fromEntries(servers.map((s) => [s.name, record(id, s.name, samples.get(s.name)!)]));
}

// ---------------------------------------------------------------------------------------------
// Terminal table

function table(title: string, header: string[], rows: (string | number | boolean | null | undefined)[][]): string {
  const cells = [header, ...rows.map((r) => r.map((c) => (c === undefined || c === null ? '–' : typeof c === 'number' ? String(round(c, 3)) : String(c))))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [`\n${title}`, line(cells[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const startedAt = new Date();
  const t0 = performance.now();
  const runId = startedAt.toISOString().replace(/[:.]/g, '-').slice(0, 19);
  const logDir = mkdtempSync(join(tmpdir(), 'guichet-bench-'));
  const cleanups: (() => Promise<void>)[] = [];
  let interrupted = false;
  const onSignal = () => {
    interrupted = true;
    log('interrupted: cleaning up');
    void cleanup().finally(() => process.exit(130));
  };
  const cleanup = async () => {
    for (const c of cleanups.reverse()) await c().catch((e: unknown) => log('cleanup:', e instanceof Error ? e.message : e));
    cleanups.length = 0;
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    log(`Guichet benchmark ${QUICK ? '(quick) ' : ''}${EXPERIMENT ? `· EXPERIMENT ${EXPERIMENT} ` : ''}· server mode ${MODE} · ${REPS} repetition(s) · ${ACCOUNTS} accounts · logs in ${logDir}`);
    const machine = machineInfo();
    // Others change src/ while we run: name the sources measured (read before building and starting).
    const source = sourceState(root);
    if (MODE === 'dist' || COMPARE_MODES) {
      const b0 = performance.now();
      try {
        execFileSync(join(root, 'node_modules/.bin/tsc'), ['-p', 'bench/tsconfig.build.json'], { cwd: root, stdio: 'pipe' });
      } catch (e) {
        // tsc emits even with type errors (someone else's work in progress): go on if the output is there.
        log('tsc reported errors (output still emitted):', String((e as { stdout?: Buffer }).stdout ?? '').split('\n').slice(0, 3).join(' | '));
      }
      // As the Dockerfile does: the stylesheet beside the compiled views.
      cpSync(join(root, 'views/static'), join(root, 'bench/.build/views/static'), { recursive: true });
      log(`compiled src/ and bench/servers to bench/.build in ${Math.round(performance.now() - b0)} ms (tsc -p bench/tsconfig.build.json, the project's build options)`);
    }

    // Services
    redis = await startRedis(process.env.BENCH_REDIS_URL);
    cleanups.push(() => redis.stop());
    if (!redis.private) log('WARNING: BENCH_REDIS_URL is shared: INFO commandstats, used_memory and Redis CPU include other clients');
    const dbName = `guichet_bench_${runId.replace(/-/g, '_').toLowerCase()}_${randomBytes(2).toString('hex')}`;
    const database = await createDatabase(ADMIN_DB_URL, dbName);
    cleanups.push(() => database.drop());
    const pgssAvailable = await pgStatStatementsAvailable(ADMIN_DB_URL).catch(() => false);
    const secretKey = randomBytes(32).toString('base64');
    const guichetPrefix = `guichet-bench:${runId}:`;
    const barePrefix = `bare-bench:${runId}:`;
    const seeded = await seed({ databaseUrl: database.url, redisUrl: redis.url, redisPrefix: guichetPrefix, secretKey, dataDir: logDir, accounts: ACCOUNTS, subscriptions: 50, userPrefix: USER_PREFIX, passwords: PASSWORDS, client: CLIENT, totp: TOTP, passkeys: PASSKEY });
    log(`seeded ${seeded.accounts} accounts, then ${TOTP.accounts} with a TOTP app and ${seeded.passkeys.length} with a passkey (${PASSWORDS.length} distinct argon2id hashes) and the client in ${seeded.ms} ms into ${dbName}`);

    // Baselines H and R, alone on the machine
    const hEnv = { ...baseEnv(), H_REPS: String(REPS), H_DURATION_MS: String(S.hashMs), H_SERIAL: QUICK ? '10' : '30' };
    const hRaw = execFileSync(process.execPath, [...nodeFlags(MODE), built('bench/baselines/hash.ts', MODE)], { cwd: root, env: hEnv, encoding: 'utf8', maxBuffer: 1 << 24 });
    const H = JSON.parse(hRaw.trim().split('\n').pop()!) as Record<string, { rate: number; cpuMsPerVerify: number; cores: number; serial: Latency; concurrency: number }> & { params: unknown; uvThreadpoolSize: string };
    const Hsame = H.argon2!;
    log(`H argon2 (the server's binding): ${Hsame.rate} verifies/s at ${Hsame.concurrency} in flight, ${Hsame.cpuMsPerVerify} CPU-ms/verify, serial p50 ${Hsame.serial.p50} ms · @node-rs/argon2: ${H['@node-rs/argon2']!.rate}/s, ${H['@node-rs/argon2']!.cpuMsPerVerify} CPU-ms`);
    const rRaw = execFileSync(process.execPath, [...nodeFlags(MODE), built('bench/baselines/raw.ts', MODE)], { cwd: root, env: { ...baseEnv(), R_REDIS_URL: redis.url, R_DATABASE_URL: database.url, R_SERIAL: QUICK ? '1000' : '3000' }, encoding: 'utf8' });
    const R = JSON.parse(rRaw.trim().split('\n').pop()!) as { redisGet: { serial: Latency; clientCpuMsPerCall: number; ratePerSecondAt32: number }; pgSelect: { serial: Latency; clientCpuMsPerCall: number; ratePerSecondAt32: number } };
    log(`R Redis GET p50 ${R.redisGet.serial.p50} ms p99 ${R.redisGet.serial.p99} ms · Postgres PK SELECT p50 ${R.pgSelect.serial.p50} ms p99 ${R.pgSelect.serial.p99} ms`);

    // Servers: Guichet in production mode, and the bare provider (baseline O)
    const guichetEnv = {
      ...baseEnv(),
      NODE_ENV: 'production',
      DATABASE_URL: database.url,
      REDIS_URL: redis.url,
      GUICHET_SECRET_KEY: secretKey,
      GUICHET_SEED_DEMO: 'false',
      // The password-login scenarios measure a simple login: no PSD2 first-access SCA.
      GUICHET_SCA_PROFILE: 'basic',
      GUICHET_DATA_DIR: logDir,
      LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info',
      GUICHET_RATE_LIMIT_IP: '1000000',
      GUICHET_RATE_LIMIT_IDENTIFIER: '1000000',
      GUICHET_CAPTCHA_AFTER_FAILURES: '0',
    };
    const G = await startServer('guichet', MODE, guichetEnv, guichetPrefix, logDir);
    cleanups.push(() => G.proc.stop());
    const O = await startServer('bare', MODE, { ...baseEnv(), NODE_ENV: 'production', REDIS_URL: redis.url, BENCH_CLIENT: JSON.stringify(CLIENT) }, barePrefix, logDir);
    cleanups.push(() => O.proc.stop());
    // Variants of Guichet run beside it, interleaved in every scenario (A/B under the same noise):
    // the other server mode, and/or an experiment preloaded to size a proposed fix.
    let Gtsx: Server | undefined;
    if (COMPARE_MODES) {
      Gtsx = await startServer('guichet', MODE === 'dist' ? 'tsx' : 'dist', guichetEnv, guichetPrefix, logDir, `guichet-${MODE === 'dist' ? 'tsx' : 'dist'}`);
      cleanups.push(() => Gtsx!.proc.stop());
    }
    let Gexp: Server | undefined;
    if (EXPERIMENT) {
      const prefix = `guichet-bench-exp:${runId}:`;
      Gexp = await startServer('guichet', MODE, { ...guichetEnv }, prefix, logDir, `guichet+${EXPERIMENT}`, EXPERIMENT);
      cleanups.push(() => Gexp!.proc.stop());
    }
    log(`Guichet at ${G.origin} (pid ${G.proc.pid}), bare oidc-provider at ${O.origin} (pid ${O.proc.pid})`);

    // Drivers, each in its own process
    const driverArgs = ['--import', 'tsx', 'bench/drivers/flow.ts'];
    const targetOf = (s: Server): Target => ({ origin: s.origin, kind: s.kind, clientId: CLIENT.client_id, clientSecret: CLIENT.client_secret, redirectUri: CLIENT.redirect_uris[0]!, scope: SCOPE, userPrefix: USER_PREFIX, users: ACCOUNTS, passwords: PASSWORDS, ...(s.kind === 'guichet' ? { totp: TOTP } : {}) });
    const newDriver = async (name: string, s: Server) => {
      const d = spawnNode(name, driverArgs, baseEnv(), 'inherit', true);
      cleanups.push(() => d.stop());
      await d.request({ cmd: 'configure', target: targetOf(s) });
      return d;
    };
    const drivers = new Map<string, Worker>([
      ['guichet', await newDriver('driver-guichet', G)],
      ['bare', await newDriver('driver-bare', O)],
    ]);
    const probeDrivers = new Map<string, Worker>([['guichet', await newDriver('driver-guichet-probe', G)]]);
    const probeDriver = probeDrivers.get('guichet')!;
    if (Gtsx) drivers.set(Gtsx.name, await newDriver('driver-guichet-other-mode', Gtsx));
    if (Gexp) {
      drivers.set(Gexp.name, await newDriver('driver-guichet-experiment', Gexp));
      probeDrivers.set(Gexp.name, await newDriver('driver-guichet-experiment-probe', Gexp));
    }
    const cannon = spawnNode('autocannon', ['--import', 'tsx', 'bench/drivers/cannon.ts'], baseEnv(), 'inherit', true);
    cleanups.push(() => cannon.stop());
    const drv = (s: Server) => drivers.get(s.name)!;
    const closed = (s: Server, op: string, concurrency: number, durationMs?: number, count?: number) => drv(s).request<RunResult>({ cmd: 'closed', op, concurrency, durationMs, count });
    const prepare = (d: Worker, sessions: number) => d.request<{ accessToken: string; idTokenAlg: string }>({ cmd: 'prepare', sessions });
    const basicAuth = `Basic ${Buffer.from(`${CLIENT.client_id}:${CLIENT.client_secret}`).toString('base64')}`;
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const cannonRun = (s: Server, what: 'cc' | 'userinfo' | 'introspect' | 'discovery' | 'jwks', at: string, extra: Record<string, unknown>) => {
      const spec = {
        cc: { path: '/token', method: 'POST', headers: { ...form, authorization: basicAuth }, body: 'grant_type=client_credentials' },
        userinfo: { path: '/me', method: 'GET', headers: { authorization: `Bearer ${at}` } },
        introspect: { path: '/token/introspection', method: 'POST', headers: { ...form, authorization: basicAuth }, body: `token=${at}` },
        discovery: { path: '/.well-known/openid-configuration', method: 'GET', headers: {} },
        jwks: { path: '/jwks', method: 'GET', headers: {} },
      }[what];
      return cannon.request<RunResult>({ cmd: 'cannon', url: s.origin + spec.path, method: spec.method, headers: spec.headers, body: 'body' in spec ? spec.body : undefined, connections: 32, ...extra });
    };
    const servers = [O, G, ...(Gtsx ? [Gtsx] : []), ...(Gexp ? [Gexp] : [])];

    // Warm-up: ≥ 200 logins on each server (token endpoints are warmed up before their scenarios, so
    // that the Redis memory read after the login scenarios holds logged-in users only)
    for (const s of servers) await closed(s, 'login', 8, undefined, S.warm);
    log(`warmed up: ${S.warm} logins on each server`);

    // 1. Full password login, closed model at 1, 8, 32; at 32 (saturation) H is measured again right
    // before each repetition, so that neighbours' load hits the login and its floor alike
    const hWorker = spawnNode('argon2-baseline', [...nodeFlags(MODE), built('bench/baselines/hash.ts', MODE)], hEnv);
    cleanups.push(() => hWorker.stop());
    const hAdjacent: { rate: number; cpuMsPerVerify: number; cores: number }[] = [];
    const loginScenarios: Record<number, Record<string, Scenario>> = {};
    for (const c of [1, 8, 32]) {
      loginScenarios[c] = await repeated(`login_c${c}`, servers, (s) => closed(s, 'login', c, S.loginMs), c === 32 ? async () => void hAdjacent.push(await hWorker.request({ cmd: 'saturate', binding: 'argon2', durationMs: S.hashMs })) : undefined);
    }
    await hWorker.stop();
    const capacity = loginScenarios[32]!.guichet!.median.ratePerS;
    const Hadj = { rate: median(hAdjacent.map((h) => h.rate)), cpuMsPerVerify: median(hAdjacent.map((h) => h.cpuMsPerVerify)), reps: hAdjacent };
    log(`H beside the saturated logins: ${Hadj.rate} verifies/s, ${Hadj.cpuMsPerVerify} CPU-ms/verify`);

    // Redis memory of logged-in users: every key under each prefix, before any token scenario
    const sessions = async (prefix: string) => (await redis.client.keys(`${prefix}oidc:Session:*`)).filter((k) => !k.includes(':uid:')).length;
    const breakdown = async (s: Server) => {
      const families = await keyBreakdown(redis.client, s.prefix, keyFamily);
      const n = await sessions(s.prefix);
      const lasting = Object.values(families).filter((f) => f.avgTtlSeconds < 0 || f.avgTtlSeconds > 120).reduce((a, f) => a + f.bytes, 0);
      const all = Object.values(families).reduce((a, f) => a + f.bytes, 0);
      return { sessions: n, bytesPerUser: Math.round(lasting / Math.max(1, n)), bytesPerUserIncludingTransient: Math.round(all / Math.max(1, n)), mibPer10kUsers: round((lasting / Math.max(1, n) / 2 ** 20) * 10_000, 2), families };
    };
    const memory = { guichet: await breakdown(G), bare: await breakdown(O) };
    log(`Redis per logged-in user: Guichet ${memory.guichet.bytesPerUser} B (${memory.guichet.mibPer10kUsers} MiB/10k), bare ${memory.bare.bytesPerUser} B (${memory.bare.mibPer10kUsers} MiB/10k)`);

    // 1b. Open model at half the measured capacity (latency under a realistic load)
    const openRate = Math.max(1, round(capacity / 2, 1));
    const open = await repeated('login_open', [G], (s) => drv(s).request<RunResult>({ cmd: 'open', op: 'login', rate: openRate, durationMs: S.openMs, maxInFlight: 512 }));

    // 1c. Second factor (after the memory and open-model figures, which stay password-only): password +
    // TOTP (acr_values=SCA) against the password-only login, on Guichet, back to back in each repetition
    // at concurrency 8 (CPU per login; the round trips come from the cost scenario)
    await closed(G, 'login_totp', 8, undefined, Math.min(S.warm, 100));
    const totpPair = { password: [] as Sample[], totp: [] as Sample[] };
    for (let r = 0; r < REPS; r++) {
      totpPair.password.push((await measure(G, () => closed(G, 'login', 8, S.loginMs))).sample);
      totpPair.totp.push((await measure(G, () => closed(G, 'login_totp', 8, S.loginMs))).sample);
    }
    record('login_beside_totp_c8', 'guichet', totpPair.password);
    record('login_totp_c8', 'guichet', totpPair.totp);

    // 1d. Passkey (usernameless, the software authenticator of test/webauthn) against the password login,
    // at saturation, on a Guichet with WebAuthn on (the one above keeps its pages as they were), then stopped
    const Gpk = await startServer('guichet', MODE, { ...guichetEnv, GUICHET_WEBAUTHN_ENABLED: 'true', GUICHET_WEBAUTHN_RP_ID: PASSKEY.rpId, GUICHET_WEBAUTHN_ORIGINS: PASSKEY.origin }, `guichet-bench-webauthn:${runId}:`, logDir, 'guichet-webauthn');
    cleanups.push(() => Gpk.proc.stop());
    const pkDriver = spawnNode('driver-guichet-webauthn', driverArgs, baseEnv(), 'inherit', true);
    cleanups.push(() => pkDriver.stop());
    await pkDriver.request({ cmd: 'configure', target: { ...targetOf(Gpk), passkeys: { ...PASSKEY, credentials: seeded.passkeys } } });
    const pkClosed = (op: string, concurrency: number, durationMs?: number, count?: number) => pkDriver.request<RunResult>({ cmd: 'closed', op, concurrency, durationMs, count });
    await pkClosed('login', 8, undefined, Math.min(S.warm, 100));
    await pkClosed('login_passkey', 8, undefined, Math.min(S.warm, 100));
    const passkeyPair = { password: [] as Sample[], passkey: [] as Sample[] };
    for (let r = 0; r < REPS; r++) {
      passkeyPair.password.push((await measure(Gpk, () => pkClosed('login', 32, S.loginMs))).sample);
      passkeyPair.passkey.push((await measure(Gpk, () => pkClosed('login_passkey', 32, S.loginMs))).sample);
    }
    record('login_beside_passkey_c32', Gpk.name, passkeyPair.password);
    record('login_passkey_c32', Gpk.name, passkeyPair.passkey);
    const passkeyFailed = passkeyPair.passkey.some((p) => p.errors > p.ops);
    const passkeyVsPassword = round(median(passkeyPair.passkey.map((p, i) => p.ratePerS / passkeyPair.password[i]!.ratePerS)), 3);
    await pkDriver.stop();
    await Gpk.proc.stop();

    // 3. Token endpoint and friends (warm-up: ≥ 200 of each, not measured)
    const accessTokens = new Map<string, string>();
    let idTokenAlg = '';
    for (const s of servers) {
      const prepared = await prepare(drv(s), 40);
      accessTokens.set(s.name, prepared.accessToken);
      if (s === G) idTokenAlg = prepared.idTokenAlg;
      await closed(s, 'refresh', 8, undefined, S.warm);
      for (const what of ['cc', 'userinfo', 'introspect', 'discovery', 'jwks'] as const) await cannonRun(s, what, prepared.accessToken, { amount: S.warm, connections: 8 });
      const introspected = (await (await fetch(`${s.origin}/token/introspection`, { method: 'POST', headers: { ...form, authorization: basicAuth }, body: `token=${prepared.accessToken}` })).json()) as { active?: boolean };
      if (!introspected.active) throw new Error(`${s.name}: the access token used for userinfo and introspection is not active`);
    }
    log(`warmed up the token endpoints (${S.warm} of each); Guichet signs ID tokens with ${idTokenAlg}`);
    const refresh = await repeated('refresh_c32', servers, (s) => closed(s, 'refresh', 32, S.tokenS * 1000));
    const tokenScenarios: Record<string, Record<string, Scenario>> = { refresh_c32: refresh };
    for (const what of ['cc', 'userinfo', 'introspect', 'discovery', 'jwks'] as const) {
      tokenScenarios[`${what}_c32`] = await repeated(`${what}_c32`, servers, (s) => cannonRun(s, what, accessTokens.get(s.name)!, { durationS: S.tokenS }));
    }

    // 5. Hashing isolation: token, refresh, JWKS and discovery requested (open model) while logins saturate argon2
    const mixRates = { cc: 20, refresh: 20, jwks: 20, discovery: 10 };
    interface Mix {
      wallMs: number;
      driverCpuMs: number;
      byOp: Record<string, RunResult>;
    }
    interface IsolationReps { idle: Mix[]; loaded: Mix[]; idleLag: number[]; loadedLag: number[]; loginsPerS: number[]; serverCores: number[]; boxBusyCores: number[] }
    const isoServers = [G, ...(Gexp ? [Gexp] : [])];
    const isoReps = new Map<string, IsolationReps>(isoServers.map((s) => [s.name, { idle: [], loaded: [], idleLag: [], loadedLag: [], loginsPerS: [], serverCores: [], boxBusyCores: [] }]));
    for (const s of isoServers) await prepare(probeDrivers.get(s.name)!, 24);
    for (let r = 0; r < REPS; r++) {
      for (const s of isoServers) {
        const pd = probeDrivers.get(s.name)!;
        const rec = isoReps.get(s.name)!;
        await probe(s, true);
        rec.idle.push(await pd.request<Mix>({ cmd: 'mix', rates: mixRates, durationMs: S.isoMs }));
        rec.idleLag.push((await probe(s)).eventLoop.p99);
        const saturating = drv(s).request<RunResult>({ cmd: 'closed', op: 'login', concurrency: 32, durationMs: S.isoMs + 1500 });
        await sleep(750);
        await probe(s, true);
        const c0 = processCpuMs(s.proc.pid);
        const b0 = machineCpuMs().busy;
        const w0 = performance.now();
        rec.loaded.push(await pd.request<Mix>({ cmd: 'mix', rates: mixRates, durationMs: S.isoMs }));
        rec.serverCores.push((processCpuMs(s.proc.pid) - c0) / (performance.now() - w0));
        rec.boxBusyCores.push((machineCpuMs().busy - b0) / (performance.now() - w0));
        rec.loadedLag.push((await probe(s)).eventLoop.p99);
        const sat = await saturating;
        rec.loginsPerS.push((sat.ops * 1000) / sat.wallMs);
      }
    }
    const p99Of = (mixes: Mix[], ops: string[]) => median(mixes.map((m) => Math.max(...ops.map((o) => m.byOp[o]?.latency.p99 ?? NaN))));
    const summariseIsolation = (isolation: IsolationReps) => ({
      rates: mixRates,
      idle: { token_p99_ms: p99Of(isolation.idle, ['cc', 'refresh']), cc_p99_ms: p99Of(isolation.idle, ['cc']), refresh_p99_ms: p99Of(isolation.idle, ['refresh']), jwks_p99_ms: p99Of(isolation.idle, ['jwks']), discovery_p99_ms: p99Of(isolation.idle, ['discovery']), event_loop_lag_p99_ms: round(median(isolation.idleLag), 2) },
      loaded: { token_p99_ms: p99Of(isolation.loaded, ['cc', 'refresh']), cc_p99_ms: p99Of(isolation.loaded, ['cc']), refresh_p99_ms: p99Of(isolation.loaded, ['refresh']), jwks_p99_ms: p99Of(isolation.loaded, ['jwks']), discovery_p99_ms: p99Of(isolation.loaded, ['discovery']), event_loop_lag_p99_ms: round(median(isolation.loadedLag), 2), logins_per_s: round(median(isolation.loginsPerS), 1), server_cores: round(median(isolation.serverCores), 2), box_busy_cores: round(median(isolation.boxBusyCores), 2) },
      errors: isolation.loaded.reduce((a, m) => a + Object.values(m.byOp).reduce((b, r) => b + r.errors, 0), 0),
      dropped: isolation.loaded.reduce((a, m) => a + Object.values(m.byOp).reduce((b, r) => b + r.dropped, 0), 0),
      reps: { idle: isolation.idle.map((m) => Object.fromEntries(Object.entries(m.byOp).map(([k, v]) => [k, v.latency]))), loaded: isolation.loaded.map((m) => Object.fromEntries(Object.entries(m.byOp).map(([k, v]) => [k, v.latency]))) },
    });
    const iso = summariseIsolation(isoReps.get('guichet')!);
    const isoExp = Gexp ? summariseIsolation(isoReps.get(Gexp.name)!) : undefined;
    for (const [name, i] of [['guichet', iso], ...(isoExp ? [[Gexp!.name, isoExp] as const] : [])] as const) {
      log(`isolation ${name}: token p99 idle ${i.idle.token_p99_ms} ms → ${i.loaded.token_p99_ms} ms under hashing (${i.loaded.logins_per_s} logins/s); JWKS ${i.idle.jwks_p99_ms} → ${i.loaded.jwks_p99_ms} ms; event-loop lag p99 ${i.idle.event_loop_lag_p99_ms} → ${i.loaded.event_loop_lag_p99_ms} ms`);
    }

    // 6. Cost per operation, serial (concurrency 1: sequential round trips are exact)
    const cost: Record<string, Record<string, { sample: Sample; detail: Detail }>> = {};
    for (const s of servers.filter((x) => x !== Gtsx && x !== Gexp)) {
      cost[s.name] = {};
      cost[s.name]!.login = await measure(s, () => closed(s, 'login', 1, undefined, S.costLogins));
      if (s === G) cost[s.name]!.login_totp = await measure(s, () => closed(s, 'login_totp', 1, undefined, S.costLogins));
      await prepare(drv(s), 4);
      for (const op of ['refresh', 'cc', 'userinfo', 'introspect']) cost[s.name]![op] = await measure(s, () => closed(s, op, 1, undefined, S.costOps));
    }
    const pgTotals = await databaseStats(ADMIN_DB_URL, dbName).catch(() => ({}));

    // Mixed profile (PERFORMANCE.md A7 scaled to 2 vCPU): 10 logins/s + 80 refreshes/s + 80 client-credentials/s
    await prepare(probeDriver, 80);
    const mc0 = processCpuMs(G.proc.pid);
    const mm0 = machineCpuMs();
    const mw0 = performance.now();
    const [mixedLogins, mixedTokens] = await Promise.all([
      drv(G).request<RunResult>({ cmd: 'open', op: 'login', rate: 10, durationMs: S.mixedMs, maxInFlight: 256 }),
      probeDriver.request<Mix>({ cmd: 'mix', rates: { refresh: 80, cc: 80 }, durationMs: S.mixedMs }),
    ]);
    const mixedWall = performance.now() - mw0;
    const mixed = {
      profile: { logins_per_s: 10, refresh_per_s: 80, client_credentials_per_s: 80, duration_s: S.mixedMs / 1000 },
      server_cores: round((processCpuMs(G.proc.pid) - mc0) / mixedWall, 2),
      machine_busy_cores: round((machineCpuMs().busy - mm0.busy) / mixedWall, 2),
      login: mixedLogins.latency,
      password_step: mixedLogins.steps.password,
      refresh: mixedTokens.byOp.refresh?.latency,
      cc: mixedTokens.byOp.cc?.latency,
      errors: mixedLogins.errors + Object.values(mixedTokens.byOp).reduce((a, r) => a + r.errors, 0),
      dropped: mixedLogins.dropped + Object.values(mixedTokens.byOp).reduce((a, r) => a + r.dropped, 0),
    };
    log(`mixed profile: Guichet used ${mixed.server_cores} cores of ${machine.cores}; login p99 ${mixed.login.p99} ms, refresh p99 ${mixed.refresh?.p99} ms`);

    const rss = { guichet: processMemory(G.proc.pid), bare: processMemory(O.proc.pid), guichetHeapMiB: round((await probe(G)).memory.heapUsed / 2 ** 20, 1), runMinutes: round((performance.now() - t0) / 60000, 1) };

    // -----------------------------------------------------------------------------------------
    // Ratios and targets
    const g = (id: string, name = 'guichet') => (results[id]?.[name]?.median ?? tokenScenarios[id]?.[name]?.median)!;
    const loginG = g('login_c32');
    const loginO = g('login_c32', 'bare');
    const costG = cost.guichet!;
    const costO = cost.bare!;
    // The TOTP step: CPU per login over the password-only login of the same repetition (median of the
    // differences), and sequential Redis round trips over the password login at concurrency 1
    const totpCpuMs = round(median(totpPair.totp.map((t, i) => t.serverCpuMsPerOp - totpPair.password[i]!.serverCpuMsPerOp)), 3);
    const totpRtt = round(costG.login_totp!.sample.redisRoundTripsPerOp - costG.login!.sample.redisRoundTripsPerOp, 2);
    const ratios = {
      password_login_vs_argon2: round(median(results.login_c32!.guichet!.reps.map((r, i) => r.ratePerS / (hAdjacent[i]?.rate ?? Hsame.rate))), 3),
      password_login_vs_argon2_by_cpu: round(Hadj.cpuMsPerVerify / loginG.serverCpuMsPerOp, 3),
      password_login_cpu_ms_over_floor: round(loginG.serverCpuMsPerOp - Hadj.cpuMsPerVerify, 2),
      password_login_main_thread_cpu_ms: loginG.serverMainThreadCpuMsPerOp,
      password_login_other_threads_cpu_ms: loginG.serverOtherThreadsCpuMsPerOp,
      bare_flow_main_thread_cpu_ms: loginO.serverMainThreadCpuMsPerOp,
      bare_flow_cpu_ms: round(loginO.serverCpuMsPerOp, 2),
      password_login_cpu_ms: round(loginG.serverCpuMsPerOp, 2),
      argon2_cpu_ms_per_verify: Hadj.cpuMsPerVerify,
      argon2_verifies_per_s: Hadj.rate,
      argon2_alone_cpu_ms_per_verify: Hsame.cpuMsPerVerify,
      argon2_alone_verifies_per_s: Hsame.rate,
      node_rs_argon2_vs_argon2_rate: round(H['@node-rs/argon2']!.rate / Hsame.rate, 3),
      node_rs_argon2_vs_argon2_cpu: round(H['@node-rs/argon2']!.cpuMsPerVerify / Hsame.cpuMsPerVerify, 3),
      password_login_cpu_vs_bare: round(loginG.serverCpuMsPerOp / loginO.serverCpuMsPerOp, 2),
      refresh_vs_bare_oidc_provider: round(g('refresh_c32').ratePerS / g('refresh_c32', 'bare').ratePerS, 3),
      refresh_cpu_vs_bare_oidc_provider: round(g('refresh_c32').serverCpuMsPerOp / g('refresh_c32', 'bare').serverCpuMsPerOp, 3),
      client_credentials_vs_bare_oidc_provider: round(g('cc_c32').ratePerS / g('cc_c32', 'bare').ratePerS, 3),
      client_credentials_cpu_vs_bare_oidc_provider: round(g('cc_c32').serverCpuMsPerOp / g('cc_c32', 'bare').serverCpuMsPerOp, 3),
      userinfo_vs_bare_oidc_provider: round(g('userinfo_c32').ratePerS / g('userinfo_c32', 'bare').ratePerS, 3),
      introspection_vs_bare_oidc_provider: round(g('introspect_c32').ratePerS / g('introspect_c32', 'bare').ratePerS, 3),
      redis_round_trips_per_login: costG.login!.sample.redisRoundTripsPerOp,
      redis_round_trips_per_login_bare: costO.login!.sample.redisRoundTripsPerOp,
      redis_round_trips_per_login_over_bare: round(costG.login!.sample.redisRoundTripsPerOp - costO.login!.sample.redisRoundTripsPerOp, 2),
      redis_commands_per_login: costG.login!.sample.redisCommandsPerOp,
      redis_commands_per_login_bare: costO.login!.sample.redisCommandsPerOp,
      redis_round_trips_per_refresh_over_bare: round(costG.refresh!.sample.redisRoundTripsPerOp - costO.refresh!.sample.redisRoundTripsPerOp, 2),
      postgres_queries_per_login: costG.login!.sample.pgQueriesPerOp,
      postgres_queries_per_refresh: costG.refresh!.sample.pgQueriesPerOp,
      postgres_queries_per_client_credentials: costG.cc!.sample.pgQueriesPerOp,
      postgres_queries_per_userinfo: costG.userinfo!.sample.pgQueriesPerOp,
      postgres_queries_per_introspection: costG.introspect!.sample.pgQueriesPerOp,
      token_p99_ms_under_hashing: iso.loaded.token_p99_ms,
      token_p99_ms_idle: iso.idle.token_p99_ms,
      jwks_p99_ms_under_hashing: iso.loaded.jwks_p99_ms,
      event_loop_lag_p99_ms_under_hashing: iso.loaded.event_loop_lag_p99_ms,
      redis_mib_per_10k_users: memory.guichet.mibPer10kUsers,
      redis_mib_per_10k_users_bare: memory.bare.mibPer10kUsers,
      rss_mib_after_run: round(rss.guichet.rssMiB, 1),
      totp_login_cpu_ms: g('login_totp_c8').serverCpuMsPerOp,
      totp_step_cpu_ms: totpCpuMs,
      totp_step_main_thread_cpu_ms: round(median(totpPair.totp.map((t, i) => t.serverMainThreadCpuMsPerOp - totpPair.password[i]!.serverMainThreadCpuMsPerOp)), 3),
      totp_step_redis_round_trips: totpRtt,
      totp_step_postgres_queries: round(costG.login_totp!.sample.pgQueriesPerOp - costG.login!.sample.pgQueriesPerOp, 3),
      passkey_login_vs_password_login: passkeyVsPassword,
      passkey_login_cpu_ms: g('login_passkey_c32', 'guichet-webauthn').serverCpuMsPerOp,
      totp_login_vs_password_login_rate: round(g('login_totp_c8').ratePerS / g('login_beside_totp_c8').ratePerS, 3),
    };
    const limitCpu = Hadj.cpuMsPerVerify + 1.5 * loginO.serverCpuMsPerOp + 3;
    const iso25 = (idle: number) => Math.max(25, 3 * idle);
    const target = (description: string, value: number | string | null, limit: number | string | null, met: boolean | null, note?: string) => ({ description, value, limit, met, ...(note ? { note } : {}) });
    const targets = {
      password_login_cpu: target('CPU per password login ≤ H CPU per verify + 1.5 × bare CPU per login + 3 ms (c=32)', loginG.serverCpuMsPerOp, round(limitCpu, 2), loginG.serverCpuMsPerOp <= limitCpu),
      password_login_throughput: target('password-login throughput at saturation ≥ 0.75 × H verifies/s', ratios.password_login_vs_argon2, 0.75, ratios.password_login_vs_argon2 >= 0.75),
      redis_round_trips_per_login: target('sequential Redis round trips per login ≤ bare + 6', costG.login!.sample.redisRoundTripsPerOp, round(costO.login!.sample.redisRoundTripsPerOp + 6, 2), costG.login!.sample.redisRoundTripsPerOp <= costO.login!.sample.redisRoundTripsPerOp + 6),
      postgres_queries_per_login: target('≤ 2 Postgres queries per password login', ratios.postgres_queries_per_login, 2, ratios.postgres_queries_per_login <= 2),
      postgres_queries_per_refresh: target('no Postgres query on refresh', ratios.postgres_queries_per_refresh, 0, ratios.postgres_queries_per_refresh === 0),
      postgres_queries_per_userinfo: target('no Postgres query on userinfo', ratios.postgres_queries_per_userinfo, 0, ratios.postgres_queries_per_userinfo === 0),
      postgres_queries_per_introspection: target('no Postgres query on introspection', ratios.postgres_queries_per_introspection, 0, ratios.postgres_queries_per_introspection === 0),
      postgres_queries_per_client_credentials: target('no Postgres query on client credentials', ratios.postgres_queries_per_client_credentials, 0, ratios.postgres_queries_per_client_credentials === 0),
      refresh_throughput: target('refresh throughput ≥ 0.8 × bare oidc-provider', ratios.refresh_vs_bare_oidc_provider, 0.8, ratios.refresh_vs_bare_oidc_provider >= 0.8),
      client_credentials_throughput: target('client-credentials throughput ≥ 0.8 × bare oidc-provider', ratios.client_credentials_vs_bare_oidc_provider, 0.8, ratios.client_credentials_vs_bare_oidc_provider >= 0.8),
      signing_algorithm: target('default signing algorithm ES256 or EdDSA (ID token of a login)', idTokenAlg, 'ES256|EdDSA', idTokenAlg === 'ES256' || idTokenAlg === 'EdDSA'),
      token_p99_under_hashing: target('token endpoint (CC + refresh) p99 under argon2 saturation ≤ max(25 ms, 3 × idle p99)', iso.loaded.token_p99_ms, round(iso25(iso.idle.token_p99_ms), 2), iso.loaded.token_p99_ms <= iso25(iso.idle.token_p99_ms)),
      refresh_p99_under_hashing: target('refresh p99 under argon2 saturation ≤ max(25 ms, 3 × idle p99)', iso.loaded.refresh_p99_ms, round(iso25(iso.idle.refresh_p99_ms), 2), iso.loaded.refresh_p99_ms <= iso25(iso.idle.refresh_p99_ms)),
      jwks_p99_under_hashing: target('JWKS p99 under argon2 saturation ≤ max(25 ms, 3 × idle p99)', iso.loaded.jwks_p99_ms, round(iso25(iso.idle.jwks_p99_ms), 2), iso.loaded.jwks_p99_ms <= iso25(iso.idle.jwks_p99_ms)),
      event_loop_lag_under_hashing: target('event-loop lag p99 ≤ 20 ms while argon2 is saturated', iso.loaded.event_loop_lag_p99_ms, 20, iso.loaded.event_loop_lag_p99_ms <= 20),
      passkey_login_throughput: passkeyFailed
        ? target('passkey login ≥ 3 × password-login throughput', null, 3, null, `not measured: the passkey logins failed (${g('login_passkey_c32', 'guichet-webauthn').errorSamples?.[0] ?? 'see the scenario'})`)
        : target('passkey login ≥ 3 × password-login throughput', passkeyVsPassword, 3, passkeyVsPassword >= 3, 'usernameless passkey login over password login at c=32, same WebAuthn-enabled Guichet, back to back in each repetition (median of the ratios)'),
      totp_step_overhead: target('a TOTP step adds ≤ 1 ms CPU and ≤ 2 round trips', `${totpCpuMs} ms, ${totpRtt} RTT`, '1 ms, 2 RTT', totpCpuMs <= 1 && totpRtt <= 2, `password + TOTP login (acr_values=${TOTP.acr}) over the password login: server CPU at c=8 (median of per-repetition differences, login_totp_c8 − login_beside_totp_c8), sequential Redis round trips at c=1 (cost scenario)`),
      redis_memory_per_10k_users: target('Redis ≤ 30 MiB per 10 000 logged-in users', memory.guichet.mibPer10kUsers, 30, memory.guichet.mibPer10kUsers <= 30),
      rss_after_run: target('server RSS ≤ 250 MiB after the mixed run', ratios.rss_mib_after_run, 250, ratios.rss_mib_after_run <= 250, `after a ${rss.runMinutes}-minute run ending with the mixed profile`),
    };

    const busiest = loginG;
    const redisCores = round((busiest.redisCpuMsPerOp * busiest.ratePerS) / 1000, 2);
    const others = round(busiest.machineBusyCores - busiest.serverCores - busiest.driverCores - redisCores, 2);
    const saturation =
      `login at c=32: machine ${busiest.machineBusyCores}/${machine.cores} cores busy — Guichet ${busiest.serverCores} (event loop ${round((busiest.serverMainThreadCpuMsPerOp * busiest.ratePerS) / 1000, 2)}, argon2 on libuv's pool and V8 helpers ${round((busiest.serverOtherThreadsCpuMsPerOp * busiest.ratePerS) / 1000, 2)}), ` +
      `flow driver ${busiest.driverCores}, Redis ${redisCores}, everything else (Postgres, other processes on the box) ${others}; ` +
      (busiest.machineBusyCores >= machine.cores * 0.9 ? 'the CPU saturated' : 'the CPU did not saturate: latency/queueing bound');

    let experimentComparison: unknown;
    if (Gexp) {
      const names = [G.name, Gexp.name];
      experimentComparison = {
        experiment: `${EXPERIMENT} (bench/servers/experiments/${EXPERIMENT}.ts preloaded into a second Guichet, run interleaved with the plain one)`,
        scenarios: Object.fromEntries(['login_c1', 'login_c8', 'login_c32', 'refresh_c32', 'cc_c32', 'jwks_c32'].map((id) => [id, Object.fromEntries(names.map((n) => [n, { cpuMsPerOp: g(id, n).serverCpuMsPerOp, ratePerS: g(id, n).ratePerS, p99Ms: g(id, n).latency.p99, eventLoopLagP99Ms: g(id, n).eventLoopLagP99Ms }]))])),
        isolation: { [G.name]: iso.loaded, [Gexp.name]: isoExp!.loaded, idle: { [G.name]: iso.idle, [Gexp.name]: isoExp!.idle } },
        rss: { [G.name]: processMemory(G.proc.pid), [Gexp.name]: processMemory(Gexp.proc.pid) },
      };
    }
    let modeComparison: unknown;
    if (Gtsx) {
      const names = [G.name, Gtsx.name];
      modeComparison = Object.fromEntries(
        ['login_c8', 'login_c32', 'refresh_c32', 'cc_c32', 'userinfo_c32'].map((id) => [id, Object.fromEntries(names.map((n) => [n, { cpuMsPerOp: g(id, n).serverCpuMsPerOp, ratePerS: g(id, n).ratePerS }]))]),
      );
    }

    const output = {
      version: 1,
      date: startedAt.toISOString(),
      command: QUICK ? 'BENCH_QUICK=1 npm run bench' : 'npm run bench',
      quick: QUICK,
      durationMinutes: round((performance.now() - t0) / 60000, 1),
      machine: { ...machine, loadAverageAtEnd: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number) },
      noise: 'restOfBoxCores in each sample: busy cores not spent by the server, its driver or Redis (Postgres, the bench itself, other processes on this shared box). Server CPU per operation is what the ratios use: it does not depend on them; throughput and latency do.',
      source,
      setup: {
        serverMode: MODE === 'dist' ? 'compiled (tsc, the project build options) and run with plain node: node --import <probe> bench/.build/src/main.js' : 'node --import tsx --import <probe> src/main.ts',
        nodeFlags: nodeFlags(MODE),
        uvThreadpoolSize: UV ?? '4 (default)',
        nodeEnv: 'production',
        repetitions: REPS,
        durations: S,
        accounts: seeded.accounts,
        totpAccounts: `${TOTP.accounts} more (${TOTP.prefix}NNNNNN), each with a TOTP app (SHA1, 6 digits, 30 s) sealed through the factors repository; logins ask acr_values=${TOTP.acr}, and the driver never sends one account's code twice in a time step`,
        passkeyAccounts: `${seeded.passkeys.length} more (${PASSKEY.prefix}NNNNNN), each with a device-bound ES256 passkey registered through the webauthn enrolment; measured on a second Guichet with GUICHET_WEBAUTHN_ENABLED=true, GUICHET_WEBAUTHN_RP_ID=${PASSKEY.rpId}, GUICHET_WEBAUTHN_ORIGINS=${PASSKEY.origin}, stopped after its scenario`,
        seedMs: seeded.ms,
        redis: redis.private ? 'private redis-server 7 on loopback (same binary as the shared one), no persistence' : 'BENCH_REDIS_URL (shared: counters include other clients)',
        postgres: `PostgreSQL on loopback, fresh database ${dbName} (dropped at the end)`,
        pg_stat_statements: pgssAvailable ? 'available' : 'not loaded (shared_preload_libraries is empty; enabling it restarts the shared server): Postgres queries are counted in the server by the bench probe (pg.Client#query), and pg_stat_database deltas are kept as a cross-check',
        abuseLimits: 'GUICHET_RATE_LIMIT_IP=1000000, GUICHET_RATE_LIMIT_IDENTIFIER=1000000, GUICHET_CAPTCHA_AFTER_FAILURES=0',
        driverPinning: PIN ?? 'none',
        experiment: EXPERIMENT ? `${EXPERIMENT} preloaded into a second Guichet run beside the plain one (bench/servers/experiments/${EXPERIMENT}.ts)${EXPERIMENT === 'bound-argon2' ? `, BENCH_ARGON2_CONCURRENCY=${process.env.BENCH_ARGON2_CONCURRENCY ?? 'cores'}` : ''}` : 'none',
        scope: SCOPE,
        idTokenAlg,
      },
      ratios,
      targets,
      saturation,
      baselines: { H, H_beside_saturated_logins: Hadj, R, O: { login_c32: loginO, refresh_c32: g('refresh_c32', 'bare'), cc_c32: g('cc_c32', 'bare'), cost: costO } },
      scenarios: { ...results, login_open: { ...open, rate_per_s: openRate } },
      isolation: iso,
      cost: Object.fromEntries(Object.entries(cost).map(([server, ops]) => [server, Object.fromEntries(Object.entries(ops).map(([op, m]) => [op, { ...m.sample, ...m.detail }]))])),
      memory,
      mixed,
      rss,
      postgresDatabaseStats: { note: 'pg_stat_database of the bench database over the whole run (seed included); backends flush their counters lazily', ...pgTotals },
      ...(modeComparison ? { modeComparison } : {}),
      ...(experimentComparison ? { experimentComparison } : {}),
    };
    // Date and start time (UTC): a second run the same day never overwrites a committed result.
    const stamp = startedAt.toISOString().slice(0, 16).replace('T', '-').replace(':', '');
    const outFile = process.env.BENCH_OUT ?? join(root, 'bench/results', `${stamp}${QUICK ? '-quick' : ''}${EXPERIMENT ? `-experiment-${EXPERIMENT}` : ''}.json`);
    mkdirSync(dirname(outFile), { recursive: true });
    writeFileSync(outFile, `${JSON.stringify(output, null, 2)}\n`);

    // -----------------------------------------------------------------------------------------
    // Terminal
    const rows = (id: string) => servers.map((s) => [id, s.name, ...(() => {
      const m = results[id]?.[s.name]?.median;
      return m ? [m.ratePerS, m.serverCpuMsPerOp, m.serverMainThreadCpuMsPerOp, m.serverCores, m.driverCores, m.restOfBoxCores, m.latency.p50, m.latency.p95, m.latency.p99, m.errors] : [];
    })()]);
    const out: string[] = [];
    out.push(table(`Scenarios (median of ${REPS}; server CPU-ms per operation from /proc/<pid>/stat)`, ['scenario', 'server', 'ops/s', 'cpu ms/op', 'loop ms/op', 'srv cores', 'drv cores', 'rest of box', 'p50 ms', 'p95 ms', 'p99 ms', 'errors'], [
      ...['login_c1', 'login_c8', 'login_c32'].flatMap(rows),
      ...['login_beside_totp_c8', 'login_totp_c8'].flatMap((id) => rows(id).filter((r) => r[1] === 'guichet')),
      ...['login_beside_passkey_c32', 'login_passkey_c32'].map((id) => {
        const m = results[id]!['guichet-webauthn']!.median;
        return [id, 'guichet-webauthn', m.ratePerS, m.serverCpuMsPerOp, m.serverMainThreadCpuMsPerOp, m.serverCores, m.driverCores, m.restOfBoxCores, m.latency.p50, m.latency.p95, m.latency.p99, m.errors];
      }),
      ['login_open', `guichet @${openRate}/s`, open.guichet!.median.ratePerS, open.guichet!.median.serverCpuMsPerOp, open.guichet!.median.serverMainThreadCpuMsPerOp, open.guichet!.median.serverCores, open.guichet!.median.driverCores, open.guichet!.median.restOfBoxCores, open.guichet!.median.latency.p50, open.guichet!.median.latency.p95, open.guichet!.median.latency.p99, open.guichet!.median.errors],
      ...['refresh_c32', 'cc_c32', 'userinfo_c32', 'introspect_c32', 'discovery_c32', 'jwks_c32'].flatMap(rows),
    ]));
    out.push(table('Baselines', ['baseline', 'figure'], [
      ['H argon2 (server binding)', `${Hsame.rate} verifies/s at ${Hsame.concurrency} in flight · ${Hsame.cpuMsPerVerify} CPU-ms/verify · serial p50 ${Hsame.serial.p50} ms p99 ${Hsame.serial.p99} ms`],
      ['H argon2 beside login_c32', `${Hadj.rate} verifies/s · ${Hadj.cpuMsPerVerify} CPU-ms/verify (median of ${hAdjacent.length}; used for the ratios)`],
      ['H @node-rs/argon2', `${H['@node-rs/argon2']!.rate} verifies/s · ${H['@node-rs/argon2']!.cpuMsPerVerify} CPU-ms/verify · serial p50 ${H['@node-rs/argon2']!.serial.p50} ms`],
      ['O bare login (c=32)', `${loginO.ratePerS} logins/s · ${loginO.serverCpuMsPerOp} CPU-ms/login · ${costO.login!.sample.redisRoundTripsPerOp} Redis round trips/login`],
      ['R Redis GET', `p50 ${R.redisGet.serial.p50} ms · p99 ${R.redisGet.serial.p99} ms · ${R.redisGet.ratePerSecondAt32}/s at 32 in flight`],
      ['R Postgres PK SELECT', `p50 ${R.pgSelect.serial.p50} ms · p99 ${R.pgSelect.serial.p99} ms · ${R.pgSelect.ratePerSecondAt32}/s at 32 in flight`],
    ]));
    out.push(table('Cost per operation (concurrency 1)', ['operation', 'server', 'cpu ms', 'loop ms', 'redis cmds', 'redis RTT', 'pg queries', 'redis µs cpu'], Object.entries(cost).flatMap(([server, ops]) => Object.entries(ops).map(([op, m]) => [op, server, m.sample.serverCpuMsPerOp, m.sample.serverMainThreadCpuMsPerOp, m.sample.redisCommandsPerOp, m.sample.redisRoundTripsPerOp, m.sample.pgQueriesPerOp, round(m.sample.redisCpuMsPerOp * 1000, 1)]))));
    out.push(table('Ratios', ['ratio', 'value'], Object.entries(ratios).map(([k, v]) => [k, v])));
    out.push(table('Targets', ['target', 'value', 'limit', 'met'], Object.entries(targets).map(([k, t]) => [k, t.value, t.limit, t.met === null ? 'n/a' : t.met ? 'yes' : 'NO'])));
    if (Gexp && isoExp) {
      const cmp = (id: string) => [G, Gexp].map((x) => [id, x.name, g(id, x.name).ratePerS, g(id, x.name).serverCpuMsPerOp, g(id, x.name).latency.p99, g(id, x.name).eventLoopLagP99Ms]);
      out.push(table(`Experiment ${EXPERIMENT}: Guichet as is vs Guichet + experiment, same run, interleaved`, ['scenario', 'server', 'ops/s', 'cpu ms/op', 'p99 ms', 'loop lag p99'], [...['login_c8', 'login_c32', 'refresh_c32', 'cc_c32', 'jwks_c32'].flatMap(cmp)]));
      out.push(table('Isolation under argon2 saturation (p99 ms)', ['server', 'token', 'refresh', 'cc', 'jwks', 'discovery', 'loop lag', 'logins/s'], [[G.name, iso], [Gexp.name, isoExp]].map(([n, i]) => {
        const l = (i as typeof iso).loaded;
        return [n as string, l.token_p99_ms, l.refresh_p99_ms, l.cc_p99_ms, l.jwks_p99_ms, l.discovery_p99_ms, l.event_loop_lag_p99_ms, l.logins_per_s];
      })));
    }
    out.push(`\nSaturation: ${saturation}`);
    out.push(`Result: ${outFile} (${output.durationMinutes} min)`);
    process.stdout.write(`${out.join('\n')}\n`);
  } finally {
    if (!interrupted) await cleanup();
  }
}

await main();
process.exit(0);

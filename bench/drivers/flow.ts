/**
 * The flow driver: an undici-based browser (cookie jar, PKCE, manual redirects) and token client, in
 * its own process, answering the bench over IPC. Closed model (N virtual users looping) or open model
 * (fixed arrival rate; latency counted from the scheduled start, so queueing is not hidden). Every
 * answer carries the driver's own CPU time, so a saturated driver shows.
 */
import { createHash, createPrivateKey, randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import { serve } from '../lib/worker.js';
import { summarise, type Latency } from '../lib/stats.js';
import { decodeBase32, generateTotp, timeStepAt } from '../../src/authenticators/oath/oath-codes.js';
import { SoftwareAuthenticator, type SoftCredential } from '../../test/webauthn/software-authenticator.js';
import type { SeededPasskey } from '../lib/seed.js';

export interface Target {
  origin: string;
  /** guichet: identify → password pages; bare: one page that accepts any login. */
  kind: 'guichet' | 'bare';
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  scope: string;
  userPrefix: string;
  users: number;
  passwords: string[];
  /** Accounts `<prefix>NNNNNN` with a TOTP app (base32 secret, SHA1, 6 digits, 30 s) and the acr that asks for it. */
  totp?: { prefix: string; accounts: number; secret: string; acr: string };
  /** Passkeys registered at seed time, and the origin the software authenticator reports (usernameless login). */
  passkeys?: { origin: string; rpId: string; credentials: SeededPasskey[] };
}

export interface RunResult {
  ops: number;
  errors: number;
  dropped: number;
  wallMs: number;
  driverCpuMs: number;
  latency: Latency;
  steps: Record<string, Latency>;
  errorSamples: string[];
  /** Anything else an operation reports (the ID token's alg, an access token for autocannon…). */
  extra?: Record<string, unknown>;
}

interface Endpoints {
  authorization: string;
  token: string;
  userinfo: string;
  introspection: string;
  jwks: string;
  discovery: string;
}

type Recorder = (step: string, ms: number) => void;
interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

let target: Target | undefined;
let endpoints: Endpoints | undefined;
let userCursor = 0;
let totpCursor = 0;
let passkeyCursor = 0;
let passkeyDevice: { authenticator: SoftwareAuthenticator; credentials: SoftCredential[] } | undefined;
/** The time step each TOTP account last sent a code in: a code is single use per account and step. */
const totpLastStep = new Map<number, number>();
/** Token chains for refresh (each refreshed in turn, rotation on) and access tokens for userinfo/introspection. */
let chains: { rt: string; busy: boolean }[] = [];
let accessTokens: string[] = [];
let lastIdTokenAlg: string | undefined;

const b64url = (b: Buffer) => b.toString('base64url');
const pathOf = (url: string) => {
  const u = new URL(url);
  return u.pathname + u.search;
};

function basic(): string {
  const t = target!;
  return `Basic ${Buffer.from(`${encodeURIComponent(t.clientId)}:${encodeURIComponent(t.clientSecret)}`).toString('base64')}`;
}

async function send(pool: Pool, rec: Recorder, step: string, method: 'GET' | 'POST', path: string, headers: Record<string, string> = {}, form?: Record<string, string>): Promise<Reply> {
  const started = performance.now();
  const body = form ? new URLSearchParams(form).toString() : undefined;
  const res = await pool.request({
    method,
    path,
    headers: body !== undefined ? { ...headers, 'content-type': 'application/x-www-form-urlencoded' } : headers,
    body,
  });
  const text = await res.body.text();
  rec(step, performance.now() - started);
  return { status: res.statusCode, headers: res.headers as Reply['headers'], text };
}

class Jar {
  private readonly cookies = new Map<string, string>();
  store(headers: Reply['headers']): void {
    const raw = headers['set-cookie'];
    for (const header of Array.isArray(raw) ? raw : raw ? [raw] : []) {
      const [pair = ''] = header.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(header) || /max-age=0\b/i.test(header)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
  header(): Record<string, string> {
    return this.cookies.size ? { cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ') } : {};
  }
}

function user(): { identifier: string; password: string } {
  const t = target!;
  const i = userCursor++ % t.users;
  return { identifier: `${t.userPrefix}${String(i).padStart(6, '0')}`, password: t.passwords[i % t.passwords.length]! };
}

/** The next TOTP account that has not sent a code in the current time step (so no code is ever replayed). */
function totpUser(): { identifier: string; password: string } {
  const t = target!;
  const totp = t.totp!;
  const step = timeStepAt(new Date(), 30);
  for (let tries = 0; tries < totp.accounts; tries++) {
    const i = totpCursor++ % totp.accounts;
    if (totpLastStep.get(i) === step) continue;
    totpLastStep.set(i, step);
    return { identifier: `${totp.prefix}${String(i).padStart(6, '0')}`, password: t.passwords[i % t.passwords.length]! };
  }
  throw new Dropped('every TOTP account has sent a code in this time step');
}

/** One interactive login, as a browser and its relying party would do it; returns the tokens. With `totp`, the RP asks for SCA and the user types the app's current code. */
async function login(pool: Pool, rec: Recorder, mode: 'password' | 'totp' | 'passkey' = 'password'): Promise<{ accessToken: string; refreshToken?: string; idToken: string }> {
  const t = target!;
  const e = endpoints!;
  const jar = new Jar();
  const totp = mode === 'totp';
  const who = totp ? totpUser() : user();
  const verifier = b64url(randomBytes(32));
  const state = b64url(randomBytes(12));
  const query = new URLSearchParams({
    client_id: t.clientId,
    response_type: 'code',
    redirect_uri: t.redirectUri,
    scope: t.scope,
    state,
    nonce: b64url(randomBytes(12)),
    code_challenge: b64url(createHash('sha256').update(verifier).digest()),
    code_challenge_method: 'S256',
    ...(totp ? { acr_values: t.totp!.acr } : {}),
  });
  const go = async (step: string, method: 'GET' | 'POST', path: string, form?: Record<string, string>) => {
    const r = await send(pool, rec, step, method, path, jar.header(), form);
    jar.store(r.headers);
    return r;
  };
  let reply = await go('authorize', 'GET', `${e.authorization}?${query}`);
  let code: string | undefined;
  for (let hop = 0; hop < 16 && !code; hop++) {
    if (reply.status >= 300 && reply.status < 400) {
      const location = new URL(String(reply.headers.location), t.origin);
      if (location.origin !== t.origin) {
        if (!location.href.startsWith(t.redirectUri)) throw new Error(`redirected away to ${location.href}`);
        if (location.searchParams.get('error')) throw new Error(`authorization error ${location.searchParams.get('error')}: ${location.searchParams.get('error_description')}`);
        if (location.searchParams.get('state') !== state) throw new Error('state mismatch');
        code = location.searchParams.get('code') ?? undefined;
        if (!code) throw new Error(`no code in ${location.href}`);
        break;
      }
      reply = await go(location.pathname.startsWith(e.authorization) ? 'resume' : 'page', 'GET', location.pathname + location.search);
      continue;
    }
    if (reply.status !== 200) throw new Error(`HTTP ${reply.status}: ${reply.text.slice(0, 300)}`);
    if (mode === 'passkey') {
      reply = await passkeyStep(reply.text, go);
      continue;
    }
    const form = /<form[^>]*action="([^"]+)"[^>]*data-step="([^"]+)"/.exec(reply.text);
    if (!form) throw new Error(`no form in page: ${reply.text.slice(0, 300)}`);
    const action = form[1]!.replace(/&amp;/g, '&');
    const step = form[2]!;
    const csrf = /name="csrf" value="([^"]+)"/.exec(reply.text)?.[1] ?? '';
    if (step === 'identify') reply = await go('identify', 'POST', action, { csrf, identifier: who.identifier });
    else if (step === 'password') reply = await go('password', 'POST', action, { csrf, password: who.password });
    else if (step === 'otp' && totp) reply = await go('otp', 'POST', action, { csrf, code: generateTotp(decodeBase32(t.totp!.secret), new Date(), { algorithm: 'SHA1', digits: 6, period: 30 }) });
    else if (step === 'login') reply = await go('login', 'POST', action, { login: who.identifier });
    else throw new Error(`unexpected step "${step}"`);
  }
  if (!code) throw new Error('no code after 16 hops');
  const token = await send(pool, rec, 'token', 'POST', e.token, { authorization: basic() }, { grant_type: 'authorization_code', code, redirect_uri: t.redirectUri, code_verifier: verifier });
  if (token.status !== 200) throw new Error(`token HTTP ${token.status}: ${token.text.slice(0, 300)}`);
  const json = JSON.parse(token.text) as { access_token: string; refresh_token?: string; id_token: string };
  if (!json.id_token || !json.access_token) throw new Error('token response without id_token or access_token');
  lastIdTokenAlg = (JSON.parse(Buffer.from(json.id_token.split('.')[0]!, 'base64url').toString()) as { alg: string }).alg;
  return { accessToken: json.access_token, refreshToken: json.refresh_token, idToken: json.id_token };
}

const unescape = (s: string) => s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

/** A form's action and CSRF token, by its `data-step`. */
function formByStep(page: string, step: string): { action: string; csrf: string; tag: string } {
  const start = page.search(new RegExp(`<form[^>]*data-step="${step}"`));
  if (start < 0) throw new Error(`no "${step}" form in page: ${page.slice(0, 300)}`);
  const body = page.slice(start, page.indexOf('</form>', start));
  const tag = body.slice(0, body.indexOf('>') + 1);
  return { action: unescape(/action="([^"]+)"/.exec(tag)![1]!), csrf: /name="csrf" value="([^"]+)"/.exec(body)?.[1] ?? '', tag };
}

/** Usernameless passkey: the identify page's `passkey-start`, then the `passkey` ceremony signed by the next seeded credential. */
async function passkeyStep(page: string, go: (step: string, method: 'GET' | 'POST', path: string, form?: Record<string, string>) => Promise<Reply>): Promise<Reply> {
  const t = target!;
  if (!passkeyDevice) {
    const p = t.passkeys!;
    passkeyDevice = {
      authenticator: new SoftwareAuthenticator(p.origin),
      credentials: p.credentials.map((c) => ({ id: Buffer.from(c.id, 'base64url'), rpId: p.rpId, privateKey: createPrivateKey({ key: Buffer.from(c.privateKey, 'base64'), format: 'der', type: 'pkcs8' }), cosePublicKey: Buffer.from(c.cosePublicKey, 'base64'), userHandle: c.userHandle, counter: 0, backupEligible: false, backedUp: false })),
    };
  }
  const start = formByStep(page, 'passkey-start');
  let ceremonyPage = await go('passkey-start', 'POST', start.action, { csrf: start.csrf });
  // The step is kept in the interaction, and its page served after a redirect (POST/redirect/GET).
  for (let hop = 0; hop < 4 && ceremonyPage.status >= 300 && ceremonyPage.status < 400; hop++) ceremonyPage = await go('page', 'GET', pathOf(new URL(String(ceremonyPage.headers.location), t.origin).href));
  if (ceremonyPage.status !== 200) throw new Error(`passkey-start HTTP ${ceremonyPage.status}: ${ceremonyPage.text.slice(0, 200)}`);
  const ceremony = formByStep(ceremonyPage.text, 'passkey');
  const options = JSON.parse(unescape(/data-options="([^"]+)"/.exec(ceremony.tag)![1]!)) as Parameters<SoftwareAuthenticator['get']>[0];
  const credential = passkeyDevice.credentials[passkeyCursor++ % passkeyDevice.credentials.length]!;
  return go('passkey', 'POST', ceremony.action, { csrf: ceremony.csrf, response: JSON.stringify(passkeyDevice.authenticator.get(options, { credential })) });
}

type Operation = (pool: Pool, rec: Recorder, worker: number) => Promise<void>;

/** The driver could not issue the request (no idle refresh-token chain): counted as dropped, not as an error. */
class Dropped extends Error {}

function expectStatus(reply: Reply, status: number, what: string): Reply {
  if (reply.status !== status) throw new Error(`${what} HTTP ${reply.status}: ${reply.text.slice(0, 200)}`);
  return reply;
}

function operation(name: string): Operation {
  const e = endpoints!;
  switch (name) {
    case 'login':
      return async (pool, rec) => {
        await login(pool, rec);
      };
    case 'login_totp':
      return async (pool, rec) => {
        await login(pool, rec, 'totp');
      };
    case 'login_passkey':
      return async (pool, rec) => {
        await login(pool, rec, 'passkey');
      };
    case 'refresh':
      return async (pool, rec, worker) => {
        // Closed model: worker w owns chain w. Open model (worker -1): the first idle chain.
        const chain = worker >= 0 ? chains[worker % chains.length] : chains.find((c) => !c.busy);
        if (!chain || chain.busy) throw new Dropped('no idle refresh-token chain');
        chain.busy = true;
        try {
          const r = expectStatus(await send(pool, rec, 'refresh', 'POST', e.token, { authorization: basic() }, { grant_type: 'refresh_token', refresh_token: chain.rt }), 200, 'refresh');
          const next = (JSON.parse(r.text) as { refresh_token?: string }).refresh_token;
          if (next) chain.rt = next;
        } finally {
          chain.busy = false;
        }
      };
    case 'cc':
      return async (pool, rec) => {
        expectStatus(await send(pool, rec, 'cc', 'POST', e.token, { authorization: basic() }, { grant_type: 'client_credentials' }), 200, 'client_credentials');
      };
    case 'userinfo':
      return async (pool, rec, worker) => {
        const at = accessTokens[Math.max(0, worker) % accessTokens.length]!;
        expectStatus(await send(pool, rec, 'userinfo', 'GET', e.userinfo, { authorization: `Bearer ${at}` }), 200, 'userinfo');
      };
    case 'introspect':
      return async (pool, rec, worker) => {
        const at = accessTokens[Math.max(0, worker) % accessTokens.length]!;
        const r = expectStatus(await send(pool, rec, 'introspect', 'POST', e.introspection, { authorization: basic() }, { token: at }), 200, 'introspection');
        if (!(JSON.parse(r.text) as { active?: boolean }).active) throw new Error('introspection: token inactive');
      };
    case 'jwks':
      return async (pool, rec) => {
        expectStatus(await send(pool, rec, 'jwks', 'GET', e.jwks), 200, 'jwks');
      };
    case 'discovery':
      return async (pool, rec) => {
        expectStatus(await send(pool, rec, 'discovery', 'GET', e.discovery), 200, 'discovery');
      };
    default:
      throw new Error(`unknown operation ${name}`);
  }
}

class Collector {
  ops = 0;
  errors = 0;
  dropped = 0;
  readonly whole: number[] = [];
  readonly steps = new Map<string, number[]>();
  readonly errorSamples: string[] = [];
  readonly rec: Recorder = (step, ms) => {
    let list = this.steps.get(step);
    if (!list) this.steps.set(step, (list = []));
    list.push(ms);
  };
  fail(e: unknown) {
    if (e instanceof Dropped) {
      this.dropped++;
      return;
    }
    this.errors++;
    if (this.errorSamples.length < 5) this.errorSamples.push(e instanceof Error ? e.message : String(e));
  }
  result(wallMs: number, driverCpuMs: number): RunResult {
    return {
      ops: this.ops,
      errors: this.errors,
      dropped: this.dropped,
      wallMs,
      driverCpuMs,
      latency: summarise(this.whole),
      steps: Object.fromEntries([...this.steps].map(([k, v]) => [k, summarise(v)])),
      errorSamples: this.errorSamples,
    };
  }
}

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

function pool(connections: number): Pool {
  return new Pool(target!.origin, { connections, pipelining: 1, keepAliveTimeout: 30_000, keepAliveMaxTimeout: 600_000, headersTimeout: 60_000, bodyTimeout: 60_000 });
}

/** Closed model: `concurrency` users loop until the duration ends (or `count` operations started). */
async function closed(op: Operation, concurrency: number, durationMs: number | undefined, count: number | undefined, c = new Collector()): Promise<RunResult> {
  const p = pool(concurrency);
  const cpu0 = cpuMs();
  const t0 = performance.now();
  const end = durationMs ? t0 + durationMs : Infinity;
  let started = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, w) => {
      while ((count === undefined || started < count) && performance.now() < end) {
        started++;
        const s = performance.now();
        try {
          await op(p, c.rec, w);
          c.ops++;
          c.whole.push(performance.now() - s);
        } catch (e) {
          c.fail(e);
        }
      }
    }),
  );
  const result = c.result(performance.now() - t0, cpuMs() - cpu0);
  await p.close();
  return result;
}

/** Open model: arrivals every 1/rate s whatever the answers; latency from the scheduled start. */
async function open(op: Operation, rate: number, durationMs: number, maxInFlight: number, c = new Collector()): Promise<RunResult> {
  const p = pool(Math.min(maxInFlight, 256));
  const cpu0 = cpuMs();
  const t0 = performance.now();
  const n = Math.max(1, Math.floor((rate * durationMs) / 1000));
  const inFlight = new Set<Promise<void>>();
  for (let k = 0; k < n; k++) {
    const at = t0 + (k * 1000) / rate;
    const wait = at - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    if (inFlight.size >= maxInFlight) {
      c.dropped++;
      continue;
    }
    const run: Promise<void> = op(p, c.rec, -1).then(
      () => {
        c.ops++;
        c.whole.push(performance.now() - at);
      },
      (e) => c.fail(e),
    );
    const tracked = run.finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
  }
  await Promise.all(inFlight);
  const result = c.result(performance.now() - t0, cpuMs() - cpu0);
  await p.close();
  return result;
}

async function configure(t: Target): Promise<Record<string, unknown>> {
  target = t;
  const res = await fetch(new URL('/.well-known/openid-configuration', t.origin));
  if (!res.ok) throw new Error(`discovery HTTP ${res.status}`);
  const d = (await res.json()) as Record<string, string>;
  const p = (k: string) => pathOf(d[k]!);
  endpoints = {
    authorization: p('authorization_endpoint'),
    token: p('token_endpoint'),
    userinfo: p('userinfo_endpoint'),
    introspection: p('introspection_endpoint'),
    jwks: p('jwks_uri'),
    discovery: '/.well-known/openid-configuration',
  };
  userCursor = Math.floor(Math.random() * t.users);
  return { endpoints };
}

/** Logs `sessions` users in (not measured) and keeps their refresh and access tokens. */
async function prepare(sessions: number): Promise<Record<string, unknown>> {
  const p = pool(Math.min(8, sessions));
  const c = new Collector();
  const got: { accessToken: string; refreshToken?: string }[] = [];
  await Promise.all(
    Array.from({ length: Math.min(8, sessions) }, async () => {
      while (got.length + c.errors < sessions) {
        try {
          got.push(await login(p, c.rec));
        } catch (e) {
          c.fail(e);
          if (c.errors > sessions) return;
        }
      }
    }),
  );
  await p.close();
  if (got.length < sessions) throw new Error(`prepare: ${got.length}/${sessions} logins (${c.errorSamples.join(' | ')})`);
  chains = got.filter((g) => g.refreshToken).map((g) => ({ rt: g.refreshToken!, busy: false }));
  accessTokens = got.map((g) => g.accessToken);
  if (chains.length < sessions) throw new Error('prepare: the token responses carried no refresh token');
  return { chains: chains.length, accessToken: accessTokens[0], idTokenAlg: lastIdTokenAlg };
}

serve(async (m) => {
  switch (m.cmd) {
    case 'configure':
      return configure(m.target as Target);
    case 'prepare':
      return prepare(Number(m.sessions));
    case 'closed': {
      const result = await closed(operation(String(m.op)), Number(m.concurrency), m.durationMs as number | undefined, m.count as number | undefined);
      return { ...result, extra: { idTokenAlg: lastIdTokenAlg } };
    }
    case 'open':
      return open(operation(String(m.op)), Number(m.rate), Number(m.durationMs), Number(m.maxInFlight ?? 512));
    case 'mix': {
      // Several open-model streams at once (the probe used while logins saturate argon2).
      const rates = m.rates as Record<string, number>;
      const cpu0 = cpuMs();
      const t0 = performance.now();
      const entries = await Promise.all(Object.entries(rates).map(async ([op, rate]) => [op, await open(operation(op), rate, Number(m.durationMs), Number(m.maxInFlight ?? 256))] as const));
      return { wallMs: performance.now() - t0, driverCpuMs: cpuMs() - cpu0, byOp: Object.fromEntries(entries) };
    }
    default:
      throw new Error(`unknown command ${m.cmd}`);
  }
});

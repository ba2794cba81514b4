/**
 * Baseline O: a bare oidc-provider (same version as Guichet), storing its models through Guichet's own
 * adapter code (src/oidc/adapter.ts over src/persistence/redis-store.ts), with the same signing keys
 * (ES256 first, RS256 listed), TTLs, features, PKCE, refresh rotation and implied first-party
 * consent, and a trivial interaction that accepts any login. It has no Postgres: its one client is
 * held in memory behind the ClientRepository port, as a provider with a client cache would.
 *
 * Environment: PORT, HOST, BARE_ISSUER, REDIS_URL, BENCH_REDIS_PREFIX, BENCH_CLIENT (JSON metadata).
 */
import { createServer } from 'node:http';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import Provider, { type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import { createAdapterFactory } from '../../src/oidc/adapter.js';
import { createRedisStore } from '../../src/persistence/redis-store.js';
import type { ClientRepository } from '../../src/domain/ports.js';

const port = Number(process.env.PORT ?? 0);
const host = process.env.HOST ?? '127.0.0.1';
const issuer = process.env.BARE_ISSUER ?? `http://${host}:${port}`;
const store = createRedisStore(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/0', process.env.BENCH_REDIS_PREFIX ?? 'bench-bare:');
const client = JSON.parse(process.env.BENCH_CLIENT ?? '{}') as { client_id: string } & Record<string, unknown>;

const clients: ClientRepository = {
  async find(clientId: string) {
    if (clientId !== client.client_id) return null;
    const { client_id, ...metadata } = client;
    return { clientId: client_id, metadata, firstParty: true, createdAt: new Date(0) };
  },
  async list() {
    return [];
  },
  async save() {
    throw new Error('read-only');
  },
  async remove() {
    return false;
  },
} as unknown as ClientRepository;

const jwk = (alg: 'ES256' | 'RS256', kid: string) => {
  const pair = alg === 'ES256' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...pair.privateKey.export({ format: 'jwk' }), kid, alg, use: 'sig' };
};

const configuration: Configuration = {
  adapter: createAdapterFactory(store, clients),
  jwks: { keys: [jwk('ES256', 'sig-es256-1'), jwk('RS256', 'sig-rs256-1')] } as Configuration['jwks'],
  cookies: {
    keys: [randomBytes(32).toString('base64url')],
    long: { httpOnly: true, sameSite: 'lax', secure: false, signed: true },
    short: { httpOnly: true, sameSite: 'lax', secure: false, signed: true },
  },
  scopes: ['openid', 'profile', 'email', 'offline_access', 'guichet'],
  responseTypes: ['code'],
  pkce: { required: () => true },
  clientDefaults: { grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], id_token_signed_response_alg: 'ES256', token_endpoint_auth_method: 'client_secret_basic' },
  features: {
    devInteractions: { enabled: false },
    userinfo: { enabled: true },
    revocation: { enabled: true },
    introspection: { enabled: true },
    clientCredentials: { enabled: true },
    claimsParameter: { enabled: true },
    rpInitiatedLogout: { enabled: true },
  },
  ttl: { AuthorizationCode: 60, AccessToken: 600, ClientCredentials: 600, IdToken: 3600, RefreshToken: 14 * 86400, Interaction: 3600, Session: 14 * 86400, Grant: 14 * 86400 },
  issueRefreshToken: async (_ctx, c) => c.grantTypeAllowed('refresh_token'),
  rotateRefreshToken: true,
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  // First-party consent implied, as Guichet does for its own clients (loadOrImplyGrant).
  async loadExistingGrant(ctx: KoaContextWithOIDC) {
    const { oidc } = ctx;
    const clientId = oidc.client!.clientId;
    const grantId = oidc.result?.consent?.grantId ?? oidc.session!.grantIdFor(clientId);
    if (grantId) {
      const existing = await oidc.provider.Grant.find(grantId);
      if (existing) return existing;
    }
    if (!oidc.session?.accountId) return undefined;
    const grant = new oidc.provider.Grant({ clientId, accountId: oidc.session.accountId });
    grant.addOIDCScope([...oidc.requestParamScopes].join(' '));
    await grant.save();
    return grant;
  },
  async findAccount(_ctx, sub) {
    return { accountId: sub, claims: async () => ({ sub }) };
  },
};

const provider = new Provider(issuer, configuration);

const readBody = (req: import('node:http').IncomingMessage) =>
  new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });

// The trivial interaction: one page, one POST, any login accepted.
provider.use(async (ctx, next) => {
  const m = /^\/interaction\/([^/]+)(\/login)?$/.exec(ctx.path);
  if (!m) return next();
  if (ctx.method === 'GET' && !m[2]) {
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    ctx.type = 'html';
    ctx.body = `<!doctype html><form method="post" action="/interaction/${details.uid}/login" data-step="login"><input name="login"><button>Sign in</button></form>`;
    return;
  }
  if (ctx.method === 'POST' && m[2]) {
    const login = new URLSearchParams(await readBody(ctx.req)).get('login') || 'anyone';
    await provider.interactionFinished(ctx.req, ctx.res, { login: { accountId: login } }, { mergeWithLastSubmission: false });
    return;
  }
  return next();
});

const server = createServer(provider.callback());
server.headersTimeout = 20_000;
server.requestTimeout = 30_000;
server.listen(port, host, () => process.stdout.write(`bare oidc-provider up at ${issuer}\n`));
const stop = () => {
  server.close();
  server.closeAllConnections();
  void store.close().finally(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);

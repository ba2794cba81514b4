import Provider, { interactionPolicy, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import { levelOfAcr, meets, requiredLevel } from '../policy/step-up.js';
import type { Level } from '../policy/assurance.js';
import type { Config } from '../config/schema.js';
import type { ExpiringStore, Repositories } from '../domain/ports.js';
import { createAdapterFactory } from './adapter.js';
import { accountClaims, CLAIMS_BY_SCOPE } from './account-claims.js';
import type { ProviderKeys } from './keys.js';
import type { PageRenderers } from './pages.js';

/** The scopes any client may ask for; others (`admin`) only when its registration lists them. */
const USER_SCOPES = ['openid', 'profile', 'email', 'offline_access', 'guichet'];

export interface ProviderDependencies {
  config: Readonly<Config>;
  repos: Repositories;
  store: ExpiringStore;
  keys: ProviderKeys;
  pages: PageRenderers;
}

/**
 * oidc-provider set up for production: code flow only, PKCE S256 for every client (ASVS-33),
 * 60-second single-use codes (ASVS-31), refresh tokens with rotation, RP-initiated logout, `iss`
 * in authorization responses (RFC 9207), keys and cookie keys from Postgres, storage from the
 * ExpiringStore, Guichet's own pages for interactions, errors and logout.
 */
export function createProvider(deps: ProviderDependencies): Provider {
  const { config, repos, store, keys, pages } = deps;
  const https = new URL(config.issuer).protocol === 'https:';
  // __Host- needs Path=/ : only the session cookie has it; the interaction and resume cookies are
  // scoped to their paths and take __Secure- instead.
  const hostPrefix = https ? '__Host-' : '';
  const securePrefix = https ? '__Secure-' : '';

  const configuration: Configuration = {
    adapter: createAdapterFactory(store, repos.clients),
    jwks: keys.jwks as Configuration['jwks'],
    cookies: {
      keys: keys.cookieKeys,
      names: { session: `${hostPrefix}guichet_session`, interaction: `${securePrefix}guichet_interaction`, resume: `${securePrefix}guichet_resume` },
      // The session cookie must cross sites for POSTed authorization requests (OIDC Core §3.1.2.1);
      // SameSite=None needs Secure, so plain-http development keeps Lax and GET only.
      long: { httpOnly: true, sameSite: https ? 'none' : 'lax', secure: https, signed: true },
      short: { httpOnly: true, sameSite: 'lax', secure: https, signed: true },
    },
    // `admin` (the administration API, src/http/admin-api.ts) only for clients whose registered
    // `scope` lists it: clients registered without one get USER_SCOPES (clientDefaults below).
    scopes: [...USER_SCOPES, 'admin'],
    claims: { ...CLAIMS_BY_SCOPE, openid: ['sub', 'acr', 'amr', 'auth_time'] } as unknown as Configuration['claims'],
    acrValues: [config.acr.simple, config.acr.sca, config.acr.scaPhr],
    responseTypes: ['code'],
    enableHttpPostMethods: https,
    pkce: { required: () => true },
    clientDefaults: {
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      id_token_signed_response_alg: 'ES256',
      token_endpoint_auth_method: 'client_secret_basic',
      scope: USER_SCOPES.join(' '),
    },
    features: {
      devInteractions: { enabled: false },
      userinfo: { enabled: true },
      revocation: { enabled: true },
      introspection: { enabled: true },
      clientCredentials: { enabled: true },
      claimsParameter: { enabled: true },
      rpInitiatedLogout: { enabled: true, logoutSource: pages.logout, postLogoutSuccessSource: pages.loggedOut },
    },
    ttl: {
      AuthorizationCode: config.ttl.authorizationCode,
      AccessToken: config.ttl.accessToken,
      ClientCredentials: config.ttl.accessToken,
      IdToken: config.ttl.idToken,
      RefreshToken: config.ttl.refreshToken,
      Interaction: config.ttl.interaction,
      Session: config.ttl.session,
      Grant: config.ttl.refreshToken,
    },
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    rotateRefreshToken: true,
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}`, policy: loginPolicy(config) },
    extraClientMetadata: {
      properties: ['guichet_identifier_schemes', 'guichet_first_factor', 'guichet_scrambled_keypad', 'guichet_minimum_level'],
      validator(_ctx, key, value) {
        if (value === undefined) return;
        const ok =
          (key === 'guichet_identifier_schemes' && Array.isArray(value) && value.every((v) => v === 'username' || v === 'subscription')) ||
          (key === 'guichet_first_factor' && (value === 'password' || value === 'pin' || value === 'card')) ||
          (key === 'guichet_scrambled_keypad' && typeof value === 'boolean') ||
          (key === 'guichet_minimum_level' && (value === 'simple' || value === 'sca' || value === 'sca-phr'));
        if (!ok) throw new Error(`invalid ${key}`);
      },
    },
    renderError: pages.error,
    loadExistingGrant: (ctx) => loadOrImplyGrant(ctx, repos),
    // Resource servers enforce step-up from the access token: acr, amr and auth_time travel with it
    // (introspection shows them), taken from the code or refresh token it was issued from.
    extraTokenClaims: async (ctx, token) => {
      if (token.kind !== 'AccessToken') return undefined;
      const entities = (ctx as KoaContextWithOIDC | undefined)?.oidc?.entities;
      const source = (entities?.AuthorizationCode ?? entities?.RefreshToken) as { acr?: string; amr?: string[]; authTime?: number } | undefined;
      if (!source) return undefined;
      return { acr: source.acr, amr: source.amr, auth_time: source.authTime };
    },
    async findAccount(_ctx: KoaContextWithOIDC, sub: string) {
      const account = await repos.accounts.findById(sub);
      // A suspended account keeps no live access: refresh and userinfo fail from the next call on.
      if (!account || account.status === 'suspended') return undefined;
      const subscription = account.subscriptionId ? await repos.subscriptions.findById(account.subscriptionId) : null;
      return { accountId: sub, claims: async () => accountClaims(account, subscription) as { sub: string } };
    },
  };

  const provider = new Provider(config.issuer, configuration);
  provider.proxy = config.trustProxy;
  return provider;
}

/**
 * The grant a session holds for the client, or, for first-party clients (consent is implied by the
 * contract between the bank and its own apps), a new one covering what is asked. A revoked grant
 * (for example after refresh-token reuse) is replaced the same way, never resurrected.
 */
async function loadOrImplyGrant(ctx: KoaContextWithOIDC, repos: Repositories) {
  const { oidc } = ctx;
  const clientId = oidc.client!.clientId;
  const grantId = oidc.result?.consent?.grantId ?? oidc.session!.grantIdFor(clientId);
  if (grantId) {
    const existing = await oidc.provider.Grant.find(grantId);
    if (existing) return existing;
  }
  const accountId = oidc.session?.accountId;
  if (!accountId || !(await repos.clients.find(clientId))?.firstParty) return undefined;
  const grant = new oidc.provider.Grant({ clientId, accountId });
  grant.addOIDCScope([...oidc.requestParamScopes].join(' '));
  const claims = [...oidc.requestParamClaims].filter((c) => c !== undefined);
  if (claims.length > 0) grant.addOIDCClaims(claims);
  await grant.save();
  return grant;
}

/**
 * oidc-provider ignores a plain `acr_values` (only essential `acr` claims re-prompt): this check
 * sends the user back to Guichet when the session's level is below what the request or the
 * client's minimum asks, so a step-up runs (reason `level_below_requested`).
 */
function loginPolicy(config: Readonly<Config>) {
  const policy = interactionPolicy.base();
  const login = policy.get('login')!;
  login.checks.add(
    new interactionPolicy.Check('level_below_requested', 'the session does not reach the requested authentication level', (ctx) => {
      const { oidc } = ctx;
      if (!oidc.session?.accountId) return interactionPolicy.Check.NO_NEED_TO_PROMPT;
      const minimum = (oidc.client?.metadata().guichet_minimum_level as Level | undefined) ?? config.sca.defaultMinimumLevel;
      const wanted = requiredLevel({ acrValues: oidc.params?.acr_values as string | undefined, clientMinimum: minimum }, config.acr);
      const reached = (oidc.acr && levelOfAcr(oidc.acr, config.acr)) || 'none';
      return meets(reached, wanted.level) ? interactionPolicy.Check.NO_NEED_TO_PROMPT : interactionPolicy.Check.REQUEST_PROMPT;
    }),
  );
  return policy;
}

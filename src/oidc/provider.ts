import Provider, { errors, interactionPolicy, type AuthorizationDetailsForAccessToken, type AuthorizationDetailsForGrantSource, type AuthorizationDetailsForIntrospection, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import { levelOfAcr, meets, requiredLevel } from '../policy/step-up.js';
import { isPayment, parseDetail, type DetailRules } from '../policy/authorization-details.js';
import { authorizationDetailsOf, grantedAmong, grantRequestedDetails, sameDetail } from './authorization-details-param.js';
import type { Level } from '../policy/assurance.js';
import type { Config } from '../config/schema.js';
import type { ExpiringStore, Repositories } from '../domain/ports.js';
import { createAdapterFactory } from './adapter.js';
import { refreshRule, scaChecks } from './sca-checks.js';
import { checkClientPolicy, POLICY_METADATA } from '../policy/client-policy.js';
import type { ScaState } from '../policy/sca-state.js';
import type { Clock } from '../lib/clock.js';
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
  /** The SCA memory, for the policy's login checks and the refresh rule (src/oidc/sca-checks.ts). */
  scaState: ScaState;
  clock: Clock;
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
      // RFC 9126: pushed requests live 60 s (oidc-provider's fixed maximum, under FAPI 2.0's 600 s),
      // are used once and only by the client that pushed them; a client registered with
      // `require_pushed_authorization_requests` may use nothing else (PAR-01..04).
      pushedAuthorizationRequests: { enabled: true, requirePushedAuthorizationRequests: false, allowUnregisteredRedirectUris: false },
      richAuthorizationRequests: richAuthorizationRequests(config.rar),
      // RFC 9396 tokens go to one API: the client's `guichet_resource` (RFC 8707), the default
      // whenever details are asked; no other resource is known, so any other `resource` is refused.
      resourceIndicators: {
        enabled: true,
        defaultResource: async (ctx, client, oneOf) => oneOf ?? (ctx.oidc.params?.authorization_details ? (client.metadata().guichet_resource as string | undefined) : undefined),
        useGrantedResource: async (_ctx, model) => Boolean((model as { rar?: unknown[] }).rar?.length),
        getResourceServerInfo: async (_ctx, indicator, client) => {
          if (indicator !== client.metadata().guichet_resource) throw new errors.InvalidTarget();
          // No scope of its own: what the token allows is its authorization_details.
          return { scope: '', audience: indicator, accessTokenFormat: 'opaque', accessTokenTTL: config.ttl.accessToken };
        },
      },
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
    // A payment or sensitive operation is authorised once: no refresh token would renew it.
    issueRefreshToken: async (_ctx, client, code) => client.grantTypeAllowed('refresh_token') && !(code as { rar?: unknown[] }).rar?.length,
    // Rotation always; past the idle limit a refresh yields simple-level tokens, past the SCA period none.
    rotateRefreshToken: refreshRule({ config, scaState: deps.scaState, clock: deps.clock }),
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}`, policy: loginPolicy(config, scaChecks({ config, scaState: deps.scaState, clock: deps.clock })) },
    extraClientMetadata: {
      properties: ['guichet_identifier_schemes', 'guichet_first_factor', 'guichet_scrambled_keypad', 'guichet_resource', ...POLICY_METADATA],
      // InvalidClientMetadata, not a bare Error: a stored client that fails is refused as
      // `invalid_client_metadata`, never a server error.
      validator(_ctx, key, value, metadata) {
        if (value === undefined) return;
        if (key === 'guichet_first_factor' && value !== 'password' && value !== 'pin' && value !== 'card') throw new errors.InvalidClientMetadata(`invalid ${key}`);
        if ((POLICY_METADATA as readonly string[]).includes(key) || key === 'guichet_first_factor') {
          // The SCA policy knobs are checked together against the client's profile (src/config/profiles.ts);
          // the first factor with them, as it must be one of the client's allowed methods.
          const checked = checkClientPolicy(config, metadata as Record<string, unknown>);
          if (!checked.ok) throw new errors.InvalidClientMetadata(`invalid ${key}: ${checked.problems.join('; ')}`);
          return;
        }
        const ok =
          (key === 'guichet_identifier_schemes' && Array.isArray(value) && value.every((v) => v === 'username' || v === 'subscription')) ||
          (key === 'guichet_scrambled_keypad' && typeof value === 'boolean') ||
          (key === 'guichet_resource' && typeof value === 'string' && URL.canParse(value) && !value.includes('#'));
        if (!ok) throw new errors.InvalidClientMetadata(`invalid ${key}`);
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
 * (for example after refresh-token reuse) is replaced the same way, never resurrected. Its
 * `authorization_details` are the request's, set only on resuming after an interaction: every request
 * with details has one (oidc-provider's `rar_prompt`, and the SCA they need), and the login pages
 * show the details there before the SCA completes.
 */
async function loadOrImplyGrant(ctx: KoaContextWithOIDC, repos: Repositories) {
  const { oidc } = ctx;
  const clientId = oidc.client!.clientId;
  const grantId = oidc.result?.consent?.grantId ?? oidc.session!.grantIdFor(clientId);
  const firstParty = async () => Boolean((await repos.clients.find(clientId))?.firstParty);
  if (grantId) {
    const existing = await oidc.provider.Grant.find(grantId);
    if (existing) {
      if (oidc.result && (await firstParty()) && grantRequestedDetails(existing, oidc.params)) await existing.save();
      return existing;
    }
  }
  const accountId = oidc.session?.accountId;
  if (!accountId || !(await firstParty())) return undefined;
  const grant = new oidc.provider.Grant({ clientId, accountId });
  grant.addOIDCScope([...oidc.requestParamScopes].join(' '));
  const claims = [...oidc.requestParamClaims].filter((c) => c !== undefined);
  if (claims.length > 0) grant.addOIDCClaims(claims);
  if (oidc.result) grantRequestedDetails(grant, oidc.params);
  await grant.save();
  return grant;
}

/**
 * RFC 9396 with the types of Guichet's three (src/policy/authorization-details.ts) the deployment
 * enables (`rar.types`; the others are unknown to discovery, to requests and to client registration)
 * and its list of sensitive operations (`rar.sensitiveOperations`). Every detail must match
 * its schema as sent (no normalising behind the client's back: the page shows, the token carries and
 * the API checks the same bytes). A payment must come through PAR (RFC 9396 §12, ASVS 5.0 10.4.15):
 * a query string can be altered by the browser. The client's registered `authorization_details_types`
 * limit what it may ask (oidc-provider checks them, `[]` when not registered).
 */
function richAuthorizationRequests(rules: DetailRules) {
  type Detail = { type: string; [key: string]: unknown };
  const validate = async (ctx: KoaContextWithOIDC, detail: Detail) => {
    const parsed = parseDetail(detail, rules);
    if (!parsed.ok) throw new errors.InvalidAuthorizationDetails(parsed.problems.join('; '));
    if (!sameDetail(parsed.detail, detail)) throw new errors.InvalidAuthorizationDetails('authorization details must be sent in canonical form (IBAN in capitals without spaces, names without surrounding spaces)');
    if (isPayment(parsed.detail) && ctx.oidc.route === 'authorization' && !('PushedAuthorizationRequest' in ctx.oidc.entities)) {
      throw new errors.InvalidAuthorizationDetails('payment authorization details must be pushed (RFC 9126 PAR)');
    }
  };
  return {
    enabled: true,
    types: Object.fromEntries(rules.types.map((type) => [type, { validate }])),
    // The code carries what this request asked and the grant holds: never a detail the user did not see.
    authorizationDetailsForGrantSource: (async (ctx) => {
      const requested = authorizationDetailsOf(ctx.oidc.params as Record<string, unknown>);
      if (!requested) return undefined;
      return grantedAmong(requested, ctx.oidc.grant?.rar ?? []) as Detail[];
    }) satisfies AuthorizationDetailsForGrantSource,
    // The token request may narrow the details (RFC 9396 §6.1), never add to them.
    authorizationDetailsForAccessToken: (async (ctx, _token, source) => {
      const granted = ((source as { rar?: Detail[] } | undefined)?.rar ?? []) as Detail[];
      const asked = ctx.oidc.params?.authorization_details;
      if (typeof asked !== 'string') return granted.length ? granted : undefined;
      const narrowed = JSON.parse(asked) as unknown[];
      const kept = grantedAmong(narrowed, granted) as Detail[];
      if (kept.length !== narrowed.length) throw new errors.InvalidAuthorizationDetails('the token request asks for authorization details that were not granted');
      return kept.length ? kept : undefined;
    }) satisfies AuthorizationDetailsForAccessToken,
    authorizationDetailsForIntrospection: ((_ctx, token) => (token as { rar?: Detail[] }).rar) satisfies AuthorizationDetailsForIntrospection,
  };
}

/**
 * oidc-provider ignores a plain `acr_values` (only essential `acr` claims re-prompt): this check
 * sends the user back to Guichet when the session's level is below what the request or the
 * client's minimum asks, so a step-up runs (reason `level_below_requested`).
 */
function loginPolicy(config: Readonly<Config>, policyChecks: interactionPolicy.Check[]) {
  const policy = interactionPolicy.base();
  const login = policy.get('login')!;
  for (const check of policyChecks) login.checks.add(check);
  login.checks.add(
    new interactionPolicy.Check('level_below_requested', 'the session does not reach the requested authentication level', (ctx) => {
      const { oidc } = ctx;
      if (!oidc.session?.accountId) return interactionPolicy.Check.NO_NEED_TO_PROMPT;
      const minimum = (oidc.client?.metadata().guichet_minimum_level as Level | undefined) ?? config.sca.defaultMinimumLevel;
      const details = authorizationDetailsOf(oidc.params as Record<string, unknown>);
      const wanted = requiredLevel({ acrValues: oidc.params?.acr_values as string | undefined, clientMinimum: minimum, authorizationDetails: details }, config.acr);
      // A payment's SCA must be its own, bound to amount and payee (RTS art. 5): the session's
      // earlier level does not count until this authorization's login has run.
      const reached = details?.some(isPayment) && !oidc.result?.login ? 'none' : (oidc.acr && levelOfAcr(oidc.acr, config.acr)) || 'none';
      return meets(reached, wanted.level) ? interactionPolicy.Check.NO_NEED_TO_PROMPT : interactionPolicy.Check.REQUEST_PROMPT;
    }),
  );
  return policy;
}

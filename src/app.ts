import type { Middleware } from 'koa';
import type Provider from 'oidc-provider';
import type { Logger } from 'pino';
import type { Config } from './config/schema.js';
import type { ExpiringStore, Mailer, Repositories } from './domain/ports.js';
import type { Clock } from './lib/clock.js';
import type { SecretBox } from './lib/encryption.js';
import type { FirstFactorDependencies } from './flows/first-factor.js';
import type { SecondFactorDependencies } from './flows/second-factor.js';
import type { ForgotIdentifier } from './flows/forgot-identifier.js';
import type { Recovery } from './flows/recovery.js';
import type { AbuseGuard } from './policy/abuse-guard.js';
import type { Captcha } from './policy/captcha.js';
import { createFlowStore } from './flows/flow-store.js';
import type { ScaState } from './policy/sca-state.js';
import type { CardKeyOperations } from './authenticators/emv-cap/card-key-operations.js';
import type { CertificateDependencies } from './http/interaction/certificate-routes.js';
import { securityHeaders } from './http/security-headers.js';
import { healthRoutes } from './http/health-routes.js';
import { staticFiles } from './http/static-files.js';
import { errorRenderer } from './http/error-renderer.js';
import { rememberLanguage } from './http/page-context.js';
import { interactionRoutes } from './http/interaction-routes.js';
import { demoRelyingParty } from './http/demo-relying-party.js';
import { outageTo503 } from './http/outage-to-503.js';
import { recoveryRoutes } from './http/recovery-routes.js';
import { portalSessions } from './http/portal-session.js';
import { profileRoutes } from './http/profile-routes.js';
import { adminApi } from './http/admin-api.js';
import { adminConsole } from './http/admin-console.js';
import { dispatchByFirstSegment } from './http/path-dispatch.js';
import type { Passkeys } from './authenticators/webauthn/passkeys.js';

export interface AppDependencies {
  config: Readonly<Config>;
  provider: Provider;
  repos: Repositories;
  store: ExpiringStore;
  firstFactor: FirstFactorDependencies;
  secondFactor: SecondFactorDependencies;
  abuse: AbuseGuard;
  captcha: Captcha;
  forgotIdentifier: ForgotIdentifier;
  /** Account recovery: security questions and e-mailed temporary secrets (`/recovery/:uid`). */
  recovery: Recovery;
  clock: Clock;
  logger: Logger;
  box: SecretBox;
  /** Profile changes (e-mail confirmation links, change notices). */
  mailer: Mailer;
  /** The SCA memory: last SCA per account, known devices, idle timers. */
  scaState: ScaState;
  /** Card key operations, for the administrators' card enrolment (the admin API returns the KCV). */
  cardKeys: CardKeyOperations;
  /** X.509 client certificates, when `x509.enabled`: certificate login, its enrolment, the admin API. */
  x509?: CertificateDependencies | undefined;
  /** Passkeys, when `webauthn.enabled`: login, step-up, and their registration from the profile. */
  passkeys?: Passkeys | null | undefined;
}

/** The middleware order, as one list; oidc-provider's own routes come after all of it. */
export function assembleApp(deps: AppDependencies): Provider {
  const { config, provider, repos, store, logger } = deps;
  const https = new URL(config.issuer).protocol === 'https:';
  const interactions = interactionRoutes({ ...deps, flows: createFlowStore(store) });
  const demo = demoRelyingParty({ issuer: config.issuer, store, fallback: config.defaultLocale, secure: https, scaAcr: config.acr.sca, acr: config.acr, clock: deps.clock });

  provider.use(securityHeaders({ https }));
  provider.use(healthRoutes(repos, store));
  provider.use(staticFiles());
  provider.use(outageTo503(provider, logger, config.defaultLocale));
  provider.use(rememberLanguage(https));
  provider.use(errorRenderer(logger, config.defaultLocale));
  const recovery = recoveryRoutes({ ...deps, flows: createFlowStore(store) });
  // Guichet's own pages for signed-in people (profile, subscription administration) share these sessions.
  const portal = portalSessions({ provider, store, repos, config, clock: deps.clock });
  // Subscription administration: the API for programs (bearer tokens), the page for people (portal sessions).
  const { hasher, lockout } = deps.firstFactor;
  const admin = adminApi({ provider, repos, config, clock: deps.clock, logger, hasher, mailer: deps.mailer, lockout, cardKeys: deps.cardKeys, x509: deps.x509 }).middleware;
  const adminPages = adminConsole({ portal, repos, store, config, clock: deps.clock, box: deps.box, hasher, mailer: deps.mailer });
  // Each router runs only for its own paths; oidc-provider's endpoints skip them all.
  const own = (...list: unknown[]) => list as Middleware[];
  provider.use(
    dispatchByFirstSegment({
      interaction: own(interactions.routes(), interactions.allowedMethods()),
      recovery: own(recovery.routes(), recovery.allowedMethods()),
      demo: own(demo.routes()),
      portal: own(portal.router.routes()),
      account: own(profileRoutes({ ...deps, portal }).routes()),
      admin: own(admin, adminPages.routes()),
    }),
  );
  return provider;
}

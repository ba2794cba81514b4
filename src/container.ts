import type { Knex } from 'knex';
import type Provider from 'oidc-provider';
import type { Config } from './config/schema.js';
import type { CaptchaSource, ExpiringStore, Mailer, Repositories } from './domain/ports.js';
import type { PasswordHasher } from './domain/password-hasher.js';
import { systemClock, type Clock } from './lib/clock.js';
import { createLogger, type Logger } from './lib/logger.js';
import { createSecretBox, type SecretBox } from './lib/encryption.js';
import { openDatabase, migrate, closeDatabase } from './persistence/database.js';
import { createKnexRepositories } from './persistence/knex-repositories.js';
import { cacheAccounts, cacheSubscriptions } from './persistence/cached-accounts.js';
import { cacheClients } from './persistence/cached-clients.js';
import { createRedisStore } from './persistence/redis-store.js';
import { createMemoryStore } from './persistence/memory-store.js';
import { createArgon2Hasher } from './authenticators/argon2-hasher.js';
import { createPasswordAuthenticator } from './authenticators/password/password-authenticator.js';
import { createPinAuthenticator } from './authenticators/pin/pin-authenticator.js';
import { createRateLimiterFactory } from './persistence/rate-limiters.js';
import { createMailer } from './mail/nodemailer-mailer.js';
import { createLockout, type Lockout } from './policy/lockout.js';
import { createAbuseGuard } from './policy/abuse-guard.js';
import { createCaptcha } from './policy/captcha.js';
import { svgCaptchaSource } from './policy/svg-captcha-source.js';
import { createForgotIdentifier } from './flows/forgot-identifier.js';
import { createRecovery } from './flows/recovery.js';
import { createLockoutAlerts } from './flows/lockout-alerts.js';
import { createTotpAuthenticator } from './authenticators/oath/totp-authenticator.js';
import { createHotpAuthenticator } from './authenticators/oath/hotp-authenticator.js';
import type { CodeFactor } from './flows/second-factor.js';
import { createEmvCapAuthenticator } from './authenticators/emv-cap/emv-cap-authenticator.js';
import { createSoftwareCardKeyOperations } from './authenticators/emv-cap/software-card-keys.js';
import { emvCapSettingsSchema } from './authenticators/emv-cap/emv-cap-settings.js';
import { join } from 'node:path';
import { loadProviderKeys } from './oidc/keys.js';
import { createProvider } from './oidc/provider.js';
import { createPageRenderers } from './oidc/pages.js';
import { assembleApp } from './app.js';
import { passkeysFromConfig } from './authenticators/webauthn/passkeys.js';
import { createAccountAdmin } from './admin/account-admin.js';
import { demoFixture } from './admin/demo-fixture.js';
import { createExpiryReminders, type ExpiryReminders } from './flows/expiry-reminders.js';
import { createScaState } from './policy/sca-state.js';
import { PORTAL_CLIENT_ID, portalClientMetadata } from './http/portal-session.js';
import { createTrustSource, loadTrustStore } from './authenticators/x509/trust-store.js';
import { createX509Authenticator } from './authenticators/x509/x509-authenticator.js';
import { createX509Enrolment } from './authenticators/x509/enrolment.js';
import { createClientCertificateSource } from './authenticators/x509/client-certificate-source.js';
import type { FindAccountsBy } from './authenticators/x509/x509-credential.js';
import type { CertificateDependencies } from './http/interaction/certificate-routes.js';

export interface Container {
  config: Readonly<Config>;
  clock: Clock;
  logger: Logger;
  db: Knex;
  repos: Repositories;
  store: ExpiringStore;
  hasher: PasswordHasher;
  mailer: Mailer;
  lockout: Lockout;
  box: SecretBox;
  close(): Promise<void>;
}

export interface ContainerOptions {
  /** Tests inject a captcha whose answers they know; production draws SVG images. */
  captchaSource?: CaptchaSource;
  mailer?: Mailer;
  clock?: Clock;
  logger?: Logger;
  /** Tests pass a store of their own (for example the memory store on a manual clock). */
  store?: ExpiringStore;
}

/** Storage and services without HTTP: what the CLI needs. Migrates the database on open. */
export async function createCoreContainer(config: Readonly<Config>, options: ContainerOptions = {}): Promise<Container> {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? createLogger(config.logLevel);
  const db = openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  await migrate(db);
  const box = createSecretBox(Buffer.from(config.secretKey, 'base64'));
  const store = options.store ?? (config.redisUrl ? createRedisStore(config.redisUrl, config.redisPrefix) : createMemoryStore(clock));
  const stored = createKnexRepositories(db, clock, box);
  const repos = { ...stored, accounts: cacheAccounts(stored.accounts, store), subscriptions: cacheSubscriptions(stored.subscriptions, store), clients: cacheClients(stored.clients) };
  const hasher = await createArgon2Hasher(config.password);
  const mailer = options.mailer ?? createMailer({ smtpUrl: config.smtpUrl, from: config.mailFrom, folder: join(config.dataDir, 'mail'), logger });
  const alerts = createLockoutAlerts({ accounts: repos.accounts, audit: repos.audit, mailer, logger, maxAttempts: config.lockout.maxAttempts });
  const lockout = createLockout({ store, credentials: repos.credentials, clock, policy: config.lockout, notify: alerts });
  return {
    config,
    clock,
    logger,
    db,
    repos,
    store,
    hasher,
    mailer,
    lockout,
    box,
    async close() {
      await store.close();
      await closeDatabase(db);
    },
  };
}

/** Applies pending migrations and names them (none when up to date): what `guichet migrate` reports. */
export async function migrateDatabase(config: Readonly<Config>): Promise<string[]> {
  const db = openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    return await migrate(db);
  } finally {
    await closeDatabase(db);
  }
}

export interface ServerContainer extends Container {
  provider: Provider;
  /** Expiry reminder e-mails; main.ts starts the job, close() stops it. */
  reminders: ExpiryReminders;
  /** X.509 client certificates when `x509.enabled` (main.ts reloads the CRLs on SIGHUP). */
  x509?: CertificateDependencies | undefined;
}

/** Everything: storage, keys, the provider and its pages. The only place concrete parts are built. */
export async function createContainer(config: Readonly<Config>, options: ContainerOptions = {}): Promise<ServerContainer> {
  const core = await createCoreContainer(config, options);
  if (config.seedDemo) await createAccountAdmin(core, 'system:demo-seed').seed(demoFixture(config.issuer));
  // Guichet's own pages log in as a first-party client of their own; its redirect follows the issuer.
  await core.repos.clients.save({ clientId: PORTAL_CLIENT_ID, metadata: portalClientMetadata(config.issuer), firstParty: true });
  const keys = await loadProviderKeys(core.repos.keys, core.box);
  const scaState = createScaState({ store: core.store, clock: core.clock });
  const provider = createProvider({ config, repos: core.repos, store: core.store, keys, pages: createPageRenderers(config.defaultLocale), scaState, clock: core.clock });
  const secretDeps = { credentials: core.repos.credentials, hasher: core.hasher };
  const noDurableState = { recordFailures: async () => {}, block: async () => {}, unblock: async () => {} };
  const firstFactor = {
    accounts: core.repos.accounts,
    credentials: core.repos.credentials,
    audit: core.repos.audit,
    hasher: core.hasher,
    authenticators: { password: createPasswordAuthenticator(secretDeps), pin: createPinAuthenticator(secretDeps) },
    lockout: core.lockout,
    unknownLockout: createLockout({ store: core.store, credentials: noDurableState, clock: core.clock, policy: config.lockout, notify: async () => {} }),
    temporarySecrets: core.repos.temporarySecrets,
    // Five wrong tries and a temporary secret is gone (deleted by the flow): the first block is final.
    temporaryLockout: createLockout({ store: core.store, credentials: noDurableState, clock: core.clock, policy: { maxAttempts: 5, temporaryBlocks: 0, temporaryBlockSeconds: 60, alert: false }, notify: async () => {} }),
    clock: core.clock,
  };
  const oath = { factors: core.repos.factors, clock: core.clock, policy: config.oath };
  const cardKeys = createSoftwareCardKeyOperations({ issuerKeys: config.emvCap.issuerKeys });
  const emvCap = createEmvCapAuthenticator({ factors: core.repos.factors, keys: cardKeys, settings: emvCapSettingsSchema.parse({ enabled: true, loginMode: config.emvCap.loginMode, window: config.emvCap.window }) });
  const codeFactors: CodeFactor[] = [emvCap as unknown as CodeFactor, createTotpAuthenticator(oath), createHotpAuthenticator(oath)];
  const secondFactor = { factors: core.repos.factors, codeFactors, audit: core.repos.audit, lockout: core.lockout };
  const redis = 'client' in core.store ? (core.store as { client: import('ioredis').Redis }).client : null;
  const abuse = createAbuseGuard({ store: core.store, limiters: createRateLimiterFactory(redis), policy: config.abuse });
  const captcha = createCaptcha({ store: core.store, source: options.captchaSource ?? svgCaptchaSource, ttlSeconds: config.abuse.captchaTtlSeconds });
  const forgotIdentifier = createForgotIdentifier({ accounts: core.repos.accounts, subscriptions: core.repos.subscriptions, audit: core.repos.audit, mailer: core.mailer, logger: core.logger });
  const x509 = config.x509.enabled ? await createCertificateLogin(config, core) : undefined;
  const recovery = createRecovery({ config, accounts: core.repos.accounts, credentials: core.repos.credentials, securityAnswers: core.repos.securityAnswers, temporarySecrets: core.repos.temporarySecrets, audit: core.repos.audit, hasher: core.hasher, mailer: core.mailer, store: core.store, clock: core.clock, logger: core.logger, lockout: core.lockout, unknownLockout: firstFactor.unknownLockout });
  const passkeys = passkeysFromConfig(config, { factors: core.repos.factors, store: core.store, clock: core.clock });
  assembleApp({ config, provider, repos: core.repos, store: core.store, firstFactor, secondFactor, abuse, captcha, forgotIdentifier, recovery, clock: core.clock, logger: core.logger, box: core.box, mailer: core.mailer, scaState, cardKeys, x509, passkeys });
  const reminders = createExpiryReminders({ credentials: core.repos.credentials, accounts: core.repos.accounts, store: core.store, mailer: core.mailer, audit: core.repos.audit, clock: core.clock, logger: core.logger, config });
  return {
    ...core,
    provider,
    reminders,
    x509,
    async close() {
      await reminders.stop();
      await core.close();
    },
  };
}

/**
 * X.509 client certificates (only when `x509.enabled`): the trust store read once from the files the
 * settings name (a bad file stops the start), the factor, its enrolment and where a request's
 * certificate comes from. main.ts opens the TLS listener when `x509.tls.port` is set.
 */
async function createCertificateLogin(config: Readonly<Config>, core: Container): Promise<CertificateDependencies> {
  const { repos, clock } = core;
  const trust = await createTrustSource(() => loadTrustStore(config.x509));
  const findAccountsBy: FindAccountsBy = async (attribute, value) =>
    attribute === 'email' ? repos.accounts.findByEmail(value) : [await repos.accounts.findByIdentifier({ scheme: 'username', username: value })].filter((a) => a !== null);
  return {
    settings: config.x509,
    trust,
    authenticator: createX509Authenticator({ factors: repos.factors, clock, trust, settings: config.x509, findAccountsBy }),
    enrolment: createX509Enrolment({ factors: repos.factors, clock, trust, settings: config.x509 }),
    certificates: createClientCertificateSource({ settings: config.x509, audit: repos.audit }),
  };
}

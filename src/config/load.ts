import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { configSchema, DEV_SECRET_KEY, type Config } from './schema.js';
import { resolvePolicy } from './profiles.js';

/** Environment variable → configuration path. */
const ENV_MAP: Record<string, string> = {
  GUICHET_ISSUER: 'issuer',
  HOST: 'host',
  PORT: 'port',
  GUICHET_TRUST_PROXY: 'trustProxy',
  DATABASE_URL: 'databaseUrl',
  REDIS_URL: 'redisUrl',
  GUICHET_REDIS_PREFIX: 'redisPrefix',
  GUICHET_DATA_DIR: 'dataDir',
  GUICHET_SECRET_KEY: 'secretKey',
  GUICHET_SEED_DEMO: 'seedDemo',
  LOG_LEVEL: 'logLevel',
  GUICHET_MAX_BODY_BYTES: 'maxBodyBytes',
  GUICHET_PASSWORD_MEMORY_KIB: 'password.memoryKiB',
  GUICHET_PASSWORD_TIME_COST: 'password.timeCost',
  GUICHET_PASSWORD_PARALLELISM: 'password.parallelism',
  GUICHET_PASSWORD_MIN_LENGTH: 'passwordPolicy.minLength',
  GUICHET_PASSWORD_MAX_LENGTH: 'passwordPolicy.maxLength',
  GUICHET_PASSWORD_BLOCKLIST: 'passwordPolicy.blocklist',
  GUICHET_PASSWORD_COMPOSITION: 'passwordPolicy.composition.enabled',
  GUICHET_PIN_LENGTH: 'pinPolicy.length',
  GUICHET_CODE_TTL: 'ttl.authorizationCode',
  GUICHET_ACCESS_TOKEN_TTL: 'ttl.accessToken',
  GUICHET_REFRESH_TOKEN_TTL: 'ttl.refreshToken',
  GUICHET_DEFAULT_LOCALE: 'defaultLocale',
  SMTP_URL: 'smtpUrl',
  GUICHET_MAIL_FROM: 'mailFrom',
  GUICHET_IDENTIFIER_SCHEMES: 'login.identifierSchemes',
  GUICHET_FIRST_FACTOR: 'login.firstFactor',
  GUICHET_SCRAMBLED_KEYPAD: 'login.scrambledKeypad',
  GUICHET_MINIMUM_LEVEL: 'sca.defaultMinimumLevel',
  GUICHET_SCA_PROFILE: 'sca.profile',
  GUICHET_SCA_PERIOD_DAYS: 'sca.periodDays',
  GUICHET_SCA_IDLE_SECONDS: 'sca.idleSeconds',
  GUICHET_SCA_NEW_DEVICE: 'sca.newDevice',
  GUICHET_SCA_ALLOWED_METHODS: 'sca.allowedMethods',
  GUICHET_RAR_TYPES: 'rar.types',
  GUICHET_RAR_SENSITIVE_OPERATIONS: 'rar.sensitiveOperations',
  GUICHET_TOTP_WINDOW_STEPS: 'oath.totpWindowSteps',
  GUICHET_HOTP_LOOK_AHEAD: 'oath.hotpLookAhead',
  GUICHET_CAP_LOGIN_MODE: 'emvCap.loginMode',
  GUICHET_CAP_ISSUER_KEYS: 'emvCap.issuerKeys',
  GUICHET_WEBAUTHN_ENABLED: 'webauthn.enabled',
  GUICHET_WEBAUTHN_RP_ID: 'webauthn.rpId',
  GUICHET_WEBAUTHN_RP_NAME: 'webauthn.rpName',
  GUICHET_WEBAUTHN_ORIGINS: 'webauthn.origins',
  GUICHET_WEBAUTHN_ACCEPT_BACKUP_ELIGIBLE: 'webauthn.acceptBackupEligible',
  GUICHET_WEBAUTHN_TIMEOUT_SECONDS: 'webauthn.timeoutSeconds',
  GUICHET_LOCKOUT_MAX_ATTEMPTS: 'lockout.maxAttempts',
  GUICHET_LOCKOUT_TEMPORARY_BLOCKS: 'lockout.temporaryBlocks',
  GUICHET_LOCKOUT_TEMPORARY_SECONDS: 'lockout.temporaryBlockSeconds',
  GUICHET_LOCKOUT_ALERT: 'lockout.alert',
  GUICHET_RATE_LIMIT_IP: 'abuse.perIp.points',
  GUICHET_RATE_LIMIT_IDENTIFIER: 'abuse.perIdentifier.points',
  GUICHET_CAPTCHA_AFTER_FAILURES: 'abuse.captchaAfterFailures',
  GUICHET_REGISTRATION_STEPS: 'registration.steps',
  GUICHET_SECURITY_QUESTION_COUNT: 'securityQuestions.count',
  GUICHET_SECURITY_QUESTIONS: 'securityQuestions.catalogue',
  GUICHET_RECOVERY_QUESTIONS: 'recovery.securityQuestions',
  GUICHET_RECOVERY_EMAIL_LINK_FIRST: 'recovery.emailLinkFirst',
  GUICHET_RECOVERY_EMAILED_TEMPORARY: 'recovery.emailedTemporary',
  GUICHET_RECOVERY_TEMPORARY_TTL_HOURS: 'recovery.temporaryTtlHours',
  GUICHET_TEMP_CODE_DELIVERY: 'temporaryCodes.delivery',
  GUICHET_TEMP_CODE_SHOWN_TTL_MINUTES: 'temporaryCodes.shownTtlMinutes',
  GUICHET_TEMP_CODE_POSTED_TTL_DAYS: 'temporaryCodes.postedTtlDays',
  GUICHET_PASSWORD_EXPIRY_DAYS: 'expiry.password.days',
  GUICHET_PASSWORD_EXPIRY_REMINDERS: 'expiry.password.remindDaysBefore',
  GUICHET_PIN_EXPIRY_DAYS: 'expiry.pin.days',
  GUICHET_PIN_EXPIRY_REMINDERS: 'expiry.pin.remindDaysBefore',
  GUICHET_EXPIRY_JOB_INTERVAL: 'expiry.jobIntervalSeconds',
  GUICHET_X509_ENABLED: 'x509.enabled',
  GUICHET_X509_CA_FILES: 'x509.caFiles',
  GUICHET_X509_INTERMEDIATE_FILES: 'x509.intermediateFiles',
  GUICHET_X509_CRL_FILES: 'x509.crlFiles',
  GUICHET_X509_REQUIRE_CRL: 'x509.requireCrl',
  GUICHET_X509_MAPPING: 'x509.mapping',
  GUICHET_X509_SUBJECT_SOURCE: 'x509.subjectRule.source',
  GUICHET_X509_SUBJECT_ATTRIBUTE: 'x509.subjectRule.attribute',
  GUICHET_X509_PIN_PROTECTED: 'x509.pinProtected',
  GUICHET_X509_TLS_PORT: 'x509.tls.port',
  GUICHET_X509_TLS_HOST: 'x509.tls.host',
  GUICHET_X509_TLS_KEY_FILE: 'x509.tls.keyFile',
  GUICHET_X509_TLS_CERT_FILE: 'x509.tls.certFile',
  GUICHET_X509_TRUSTED_PROXIES: 'x509.trustedProxies',
};

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

function assign(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) {
    node[key] ??= {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys[keys.length - 1]!] = value;
}

/** The variable a problem belongs to: the one whose path is the problem's path or its longest prefix. */
function envName(path: string): string {
  const match = Object.entries(ENV_MAP)
    .filter(([, p]) => path === p || path.startsWith(`${p}.`))
    .sort((a, b) => b[1].length - a[1].length)[0];
  if (!match) return path;
  return path === match[1] ? match[0] : `${match[0]} (${path.slice(match[1].length + 1)})`;
}

/** Named checks across settings, run once the schema passes. */
function crossFieldProblems(config: Config): string[] {
  const problems: string[] = [];
  if (config.ttl.flow < config.ttl.interaction) problems.push('ttl.flow: must be at least ttl.interaction, or an expired login cannot be restarted');
  if (config.lockout.temporaryBlocks === 0 && !config.lockout.alert) problems.push('GUICHET_LOCKOUT_ALERT: a first block that is permanent must be announced to the user (PSD2 RTS art. 4(4)); enable the alert or allow temporary blocks');
  if (config.ttl.refreshToken < config.ttl.accessToken) problems.push('GUICHET_REFRESH_TOKEN_TTL: must be at least GUICHET_ACCESS_TOKEN_TTL');
  const sca = resolvePolicy(config.sca.profile, { periodDays: config.sca.periodDays, idleSeconds: config.sca.idleSeconds, newDevice: config.sca.newDevice, allowedMethods: config.sca.allowedMethods, minimumLevel: config.sca.defaultMinimumLevel === 'simple' ? undefined : config.sca.defaultMinimumLevel });
  if (!sca.ok) for (const problem of sca.problems) problems.push(`GUICHET_SCA_PROFILE (${config.sca.profile}): ${problem}`);
  const firstMethod = config.login.firstFactor === 'card' ? 'emv-cap' : config.login.firstFactor;
  if (!config.sca.allowedMethods.includes(firstMethod)) problems.push(`GUICHET_SCA_ALLOWED_METHODS: must include ${firstMethod}, the login's first factor (GUICHET_FIRST_FACTOR=${config.login.firstFactor})`);
  const catalogue = config.securityQuestions.catalogue;
  if (catalogue) {
    if (new Set(catalogue.map((q) => q.id)).size !== catalogue.length) problems.push('GUICHET_SECURITY_QUESTIONS: question ids must be unique');
    if (catalogue.length < config.securityQuestions.count * 2) problems.push(`GUICHET_SECURITY_QUESTIONS: at least ${config.securityQuestions.count * 2} questions are needed (twice GUICHET_SECURITY_QUESTION_COUNT) so that unknown identifiers get decoys drawn from the same list`);
  }
  for (const kind of ['password', 'pin'] as const) {
    const e = config.expiry[kind];
    if (e.days > 0 && e.remindDaysBefore.some((d) => d >= e.days)) problems.push(`GUICHET_${kind.toUpperCase()}_EXPIRY_REMINDERS: every reminder must come fewer days before expiry than the lifetime (${e.days} days)`);
  }
  const x509 = config.x509;
  if (x509.enabled && x509.caFiles.length === 0) problems.push('GUICHET_X509_CA_FILES: X.509 client certificates need at least one CA certificate file');
  if (x509.tls.port > 0 && (!x509.tls.keyFile || !x509.tls.certFile)) problems.push('GUICHET_X509_TLS_PORT: the client-certificate listener needs GUICHET_X509_TLS_KEY_FILE and GUICHET_X509_TLS_CERT_FILE');
  if (x509.tls.port > 0 && x509.tls.port === config.port) problems.push('GUICHET_X509_TLS_PORT: must differ from PORT, so that ordinary pages never ask for a certificate');
  return problems;
}

/** Reads the optional JSON file (GUICHET_CONFIG_FILE) then the environment, validates once, freezes. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Record<string, unknown> = {}): Readonly<Config> {
  const raw: Record<string, unknown> = {};
  const problems: string[] = [];
  if (env.GUICHET_CONFIG_FILE) {
    try {
      Object.assign(raw, JSON.parse(readFileSync(env.GUICHET_CONFIG_FILE, 'utf8')));
    } catch (e) {
      problems.push(`GUICHET_CONFIG_FILE: cannot read ${env.GUICHET_CONFIG_FILE}: ${(e as Error).message}`);
    }
  }
  for (const [name, path] of Object.entries(ENV_MAP)) {
    const value = env[name];
    if (value !== undefined && value !== '') assign(raw, path, value);
  }
  for (const [path, value] of Object.entries(overrides)) assign(raw, path, value);
  // With only PORT set, the issuer follows it (the default issuer is this machine).
  if (raw.issuer === undefined && raw.port !== undefined && /^\d+$/.test(String(raw.port))) raw.issuer = `http://localhost:${raw.port}`;
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push(`${envName(issue.path.join('.'))}: ${issue.message}`);
    throw new ConfigError(problems);
  }
  problems.push(...crossFieldProblems(parsed.data));
  if (problems.length > 0) throw new ConfigError(problems);
  return deepFreeze(parsed.data);
}

/** Settings left at development values; main.ts prints them loudly. */
export function productionWarnings(config: Config): string[] {
  const warnings: string[] = [];
  if (config.secretKey === DEV_SECRET_KEY) warnings.push('GUICHET_SECRET_KEY is the development key: every sealed secret is readable by anyone with the source');
  if (!config.databaseUrl) warnings.push('DATABASE_URL is not set: using the embedded PGlite database (single process only)');
  if (!config.redisUrl) warnings.push('REDIS_URL is not set: using the in-memory store (single process, lost on restart)');
  if (new URL(config.issuer).protocol !== 'https:') warnings.push('GUICHET_ISSUER is not https: cookies are not Secure');
  return warnings;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}


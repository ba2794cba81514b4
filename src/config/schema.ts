import { isIP } from 'node:net';
import { z } from 'zod';
import { METHOD_IDS } from './profiles.js';

/** Development values that must never reach production; using them warns loudly once at start. */
export const DEV_SECRET_KEY = 'Z3VpY2hldC1kZXZlbG9wbWVudC1rZXktMzJieXRlcyE='; // base64 of a public 32-byte phrase

const bool = z
  .union([z.boolean(), z.enum(['true', 'false', '1', '0', 'yes', 'no'])])
  .transform((v) => v === true || v === 'true' || v === '1' || v === 'yes');

/** A JSON value given as an environment string; bad JSON stays a string so the schema reports it. */
const parseJsonSetting = (v: unknown): unknown => {
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
};

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/** A list given as a comma-separated environment string, or as a JSON array in the config file. */
const commaList = <T extends z.ZodType>(item: T) => z.preprocess((v) => (typeof v === 'string' ? v.split(',').map((x) => x.trim()).filter(Boolean) : v), z.array(item));

/** An IPv4 or IPv6 address, or a subnet in CIDR notation (`10.0.0.0/8`, `fd00::/8`). */
const addressOrSubnet = z.string().refine((v) => {
  const [address, bits, extra] = v.split('/');
  const family = isIP(address ?? '');
  if (family === 0 || extra !== undefined) return false;
  return bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128));
}, 'must be an IP address or a CIDR subnet');

/** The RFC 9396 types Guichet understands (their schemas: src/policy/authorization-details.ts). */
export const RAR_DETAIL_TYPES = ['payment_initiation', 'payment_batch', 'sensitive_operation'] as const;
/** The bank's sensitive operations (issue 6); each has a display name in src/i18n/catalogues/transaction.ts. */
export const DEFAULT_SENSITIVE_OPERATIONS = ['manage_authorisations', 'manage_payees', 'order_cheque_books', 'sepa_instant_transfer', 'sign_payment_batch'] as const;

/**
 * Guichet's configuration: one schema is the types, the defaults and the manual.
 * Environment variables map onto it in config/load.ts (README, "Settings").
 */
export const configSchema = z.object({
  /** Public URL of the provider; the `iss` of every token (OIDC Core §2). */
  issuer: z
    .url()
    .refine((v) => !URL.canParse(v) || (!new URL(v).search && !new URL(v).hash), 'must not carry a query or fragment')
    .default('http://localhost:3000'),
  /** Address and port the HTTP server listens on. */
  host: z.string().default('0.0.0.0'),
  port: int(0, 65535).default(3000),
  /** Trust X-Forwarded-* from a reverse proxy (only behind one). */
  trustProxy: bool.default(false),
  /** Postgres URL; empty means the embedded PGlite database in `dataDir`. */
  databaseUrl: z.string().optional(),
  /** Redis URL; empty means the in-memory store (single process only). */
  redisUrl: z.string().optional(),
  /** Redis key prefix, so several deployments or test files share one Redis. */
  redisPrefix: z.string().default('guichet:'),
  /** Local folder for the embedded database. */
  dataDir: z.string().default('.guichet'),
  /** 32 bytes, base64: seals signing keys and other secrets read back (AES-256-GCM). */
  secretKey: z
    .string()
    .refine((v) => Buffer.from(v, 'base64').length === 32, 'must be 32 bytes encoded in base64 (openssl rand -base64 32)')
    .default(DEV_SECRET_KEY),
  /** Seed the demo subscription, accounts and client at start when the database is empty. */
  seedDemo: bool.default(false),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Largest form body accepted by Guichet's pages. */
  maxBodyBytes: int(1024, 1024 * 1024).default(16 * 1024),
  password: z
    .object({
      /** argon2id parameters (ASVS 5.0 11.4.2; OWASP: m=19456 KiB, t=2, p=1 at least). */
      memoryKiB: int(19456, 4 * 1024 * 1024).default(19456),
      timeCost: int(2, 20).default(2),
      parallelism: int(1, 16).default(1),
    })
    .prefault({}),
  /**
   * Rules for the passwords users choose (NIST SP 800-63B §5.1.1.2; ASVS 5.0 V6.2). Lengths are counted
   * in Unicode code points after NFKC; nothing is truncated.
   */
  passwordPolicy: z
    .object({
      /** Fewest code points. NIST and ASVS 5.0 6.2.1: 8 at least (15 recommended); ASVS 4.0.3 2.1.1: 12. */
      minLength: int(8, 64).default(8),
      /** Most code points. At least 64 must be permitted (ASVS 5.0 6.2.9); ASVS 4.0.3 2.1.2 denies over 128. */
      maxLength: int(64, 1024).default(128),
      /** Refuse common and breached passwords (N3-07; ASVS 5.0 6.2.4, 6.2.12). */
      blocklist: bool.default(true),
      /**
       * Character classes required. Off by default: NIST §5.1.1.2 and ASVS 5.0 6.2.5 forbid composition
       * rules; only for a legacy rule a bank must keep. Each class applies only when `enabled`.
       */
      composition: z
        .object({
          enabled: bool.default(false),
          lower: bool.default(true),
          upper: bool.default(true),
          digit: bool.default(true),
          /** Punctuation or symbol (\p{P}, \p{S}); a space does not count. */
          symbol: bool.default(true),
        })
        .prefault({}),
    })
    .prefault({}),
  /** Rules for confidential codes (PINs): exactly `length` digits, 4 to 12. */
  pinPolicy: z.object({ length: int(4, 12).default(6) }).prefault({}),
  ttl: z
    .object({
      /** Authorization codes live at most 60 s (ASVS 10.4.2 L3). */
      authorizationCode: int(10, 60).default(60),
      accessToken: int(60, 86400).default(600),
      idToken: int(60, 86400).default(3600),
      refreshToken: int(300, 180 * 86400).default(14 * 86400),
      interaction: int(60, 86400).default(3600),
      session: int(300, 30 * 86400).default(14 * 86400),
      /** How long an abandoned login can still be restarted from its page. */
      flow: int(60, 7 * 86400).default(86400),
    })
    .prefault({}),
  acr: z
    .object({
      simple: z.string().default('urn:guichet:loa:simple'),
      sca: z.string().default('urn:guichet:loa:sca'),
      scaPhr: z.string().default('urn:guichet:loa:sca-phr'),
    })
    .prefault({}),
  defaultLocale: z.enum(['fr', 'en']).default('fr'),
  /** SMTP server for outgoing mail (smtp://host:port); without it mails are written to `dataDir/mail`. */
  smtpUrl: z.string().optional(),
  mailFrom: z.string().default('Guichet <no-reply@guichet.localhost>'),
  login: z
    .object({
      /** `username` (the insurer's subscriber code) and/or `subscription` (client identifier + user number). Overridable per client (`guichet_identifier_schemes`). */
      identifierSchemes: z.preprocess(
        (v) => (typeof v === 'string' ? v.split(',').map((x) => x.trim()).filter(Boolean) : v),
        z.array(z.enum(['username', 'subscription'])).min(1),
      ).default(['username']),
      /** The factor asked after the identifier: `password`, `pin` (confidential code) or `card` (a card-reader code, SCA by itself). Overridable per client (`guichet_first_factor`). */
      firstFactor: z.enum(['password', 'pin', 'card']).default('password'),
      /** How long "remember my identifier" keeps it (the cookie holds the identifier only). */
      rememberIdentifierDays: int(1, 400).default(365),
      /** Offer the confidential code on a scrambled on-screen keypad, beside the ordinary accessible field. Per client: `guichet_scrambled_keypad`. */
      scrambledKeypad: bool.default(false),
    })
    .prefault({}),
  sca: z
    .object({
      /** The level every client needs unless its metadata says otherwise (`guichet_minimum_level`). */
      defaultMinimumLevel: z.enum(['simple', 'sca', 'sca-phr']).default('simple'),
      /**
       * The policy profile of clients that name none (`guichet_policy`): `psd2` (SCA at first access,
       * every `periodDays`, on a new device, again after `idleSeconds` idle for SCA-level access),
       * `basic` (a portal outside PSD2: only what the client or request asks) or `strict`.
       */
      profile: z.enum(['basic', 'psd2', 'strict']).default('psd2'),
      /** Days an SCA counts for simple-level access (profile default: psd2 90, at most 180). */
      periodDays: int(1, 3650).optional(),
      /** Seconds idle after which an SCA no longer counts for SCA-level access (psd2: at most 300). */
      idleSeconds: int(60, 3600).optional(),
      /** Whether a device not yet seen with SCA for the account requires SCA. */
      newDevice: bool.optional(),
      /**
       * The methods clients may use when they name none (`guichet_allowed_methods`), and the most any
       * client may name: `password`, `pin`, `emv-cap`, `totp`, `hotp`, `webauthn`, `x509`. Must include
       * `login.firstFactor` (`emv-cap` for `card`).
       */
      allowedMethods: commaList(z.enum(METHOD_IDS)).refine((a) => a.length > 0, 'at least one method').default([...METHOD_IDS]),
      /** Lifetime of the signed device cookie. */
      deviceCookieDays: int(1, 400).default(400),
    })
    .prefault({}),
  oath: z
    .object({
      /** TOTP steps accepted either side of now (RFC 6238 §5.2; NIST 800-63B: keep it small). */
      totpWindowSteps: int(0, 5).default(1),
      /** HOTP counters looked ahead (RFC 4226 §7.4). */
      hotpLookAhead: int(1, 25).default(10),
      /** HOTP resynchronisation window with two consecutive codes (RFC 4226 §7.4). */
      hotpResyncWindow: int(25, 1000).default(100),
    })
    .prefault({}),
  emvCap: z
    .object({
      /**
       * Mode asked at login: `identify` (the reader's CODE button, EMV-CAP.md mode 2) on the code page.
       * `respond` (a server challenge, §6.5) is what the verifier prefers; its page comes with step-up.
       */
      loginMode: z.enum(['identify', 'respond']).default('identify'),
      /** ATC look-ahead; default per card from its IPB (EMV-CAP.md §6.4). */
      window: int(1, 4096).optional(),
      /** Issuer master keys for option-A card key derivation, `{ "id": "32 hex digits" }` (use an HSM in production). */
      issuerKeys: z.preprocess(parseJsonSetting, z.record(z.string(), z.string().regex(/^[0-9a-fA-F]{32}$/))).default({}),
    })
    .prefault({}),
  /**
   * Passkeys and security keys (W3C WebAuthn L2): usernameless login, second factor and step-up,
   * registration from the profile after SCA (PSD2 RTS art. 24(2)). User verification is always
   * required. Off by default: the login pages then load no script at all.
   */
  webauthn: z
    .object({
      enabled: bool.default(false),
      /** WebAuthn L2 §5.1.3: the domain passkeys are bound to; default the issuer's host. Changing it orphans every passkey. */
      rpId: z.string().min(1).max(253).optional(),
      /** Shown by the browser when a passkey is created (§5.4.1). */
      rpName: z.string().min(1).max(64).default('Guichet'),
      /** Exact origins the ceremonies may come from (§7.1 step 9, §7.2 step 13); default the issuer's origin. */
      origins: commaList(z.string().min(1)).optional(),
      /**
       * Backup-eligible ("synced") passkeys can be copied by their provider to other devices (PSD2 RTS
       * art. 7(2), STANDARDS.md G-14, N4-02). When false such a passkey is still accepted, but only as
       * the user-verification (knowledge) element: alone it makes a simple login, never SCA.
       * Default per `sca.profile`: true for `basic`, false for `psd2` and `strict`.
       */
      acceptBackupEligible: bool.optional(),
      /** How long a ceremony and its single-use challenge stay valid (§5.4.1, §15.1: 300–600 s with UV). */
      timeoutSeconds: int(30, 600).default(300),
    })
    .prefault({}),
  /** Rich authorization requests (RFC 9396): what relying parties may ask users to authorise. */
  rar: z
    .object({
      /** The types accepted; the others are absent from discovery and refused (`invalid_authorization_details`), also at client registration. */
      types: commaList(z.enum(RAR_DETAIL_TYPES)).refine((a) => a.length > 0, 'at least one type').default([...RAR_DETAIL_TYPES]),
      /**
       * The `operation` values a `sensitive_operation` may name; others are refused. Names outside the
       * default five are shown with a generic text and the operation's code.
       */
      sensitiveOperations: commaList(z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'lower-case letters, digits and _')).refine((a) => a.length > 0, 'at least one operation').default([...DEFAULT_SENSITIVE_OPERATIONS]),
    })
    .prefault({}),
  lockout: z
    .object({
      /** Consecutive failures that block a credential (PSD2 RTS art. 4(3)(b): at most 5). */
      maxAttempts: int(1, 5).default(5),
      /** Temporary blocks before a permanent one (RTS art. 4(4)); 0: the first block is permanent. */
      temporaryBlocks: int(0, 10).default(0),
      temporaryBlockSeconds: int(60, 7 * 86400).default(900),
      /** E-mail the owner when a block starts and before it becomes permanent (RTS art. 4(4)). */
      alert: bool.default(true),
    })
    .prefault({}),
  /** First login of an account the bank created (status `pending_registration`). */
  registration: z
    .object({
      /**
       * The steps asked, in order: `password` (choose a new secret), `questions` (security questions),
       * `personal` (e-mail, names, language). The bank's confidential-code users may skip `questions`.
       */
      steps: z.preprocess(
        (v) => (typeof v === 'string' ? v.split(',').map((x) => x.trim()).filter(Boolean) : v),
        z.array(z.enum(['password', 'questions', 'personal'])),
      ).default(['password', 'questions', 'personal']),
    })
    .prefault({}),
  securityQuestions: z
    .object({
      /** Questions each account answers (OWASP: never the sole recovery mechanism; STANDARDS.md G-1). */
      count: int(2, 5).default(3),
      /** Replaces the built-in catalogue: `[{ "id": "...", "fr": "...", "en": "..." }]`, at least twice `count` entries. */
      catalogue: z.preprocess(parseJsonSetting, z.array(z.object({ id: z.string().regex(/^[a-z0-9_-]{1,40}$/), fr: z.string().min(5), en: z.string().min(5) })).optional()),
    })
    .prefault({}),
  recovery: z
    .object({
      /** Recovery with the account's security questions. */
      securityQuestions: bool.default(true),
      /**
       * Strict profile (STANDARDS.md G-1, OWASP): the questions come only after a single-use link
       * e-mailed to the address on file was followed, so answers alone never recover an account.
       */
      emailLinkFirst: bool.default(false),
      /** Recovery by a temporary password e-mailed to the address on file. */
      emailedTemporary: bool.default(true),
      /** Lifetime of an e-mailed temporary password. */
      temporaryTtlHours: int(1, 72).default(24),
      /** Lifetime of the e-mailed link of the strict profile. */
      linkTtlMinutes: int(5, 60).default(30),
    })
    .prefault({}),
  /** Temporary codes issued by administrators (ASVS 5.0 6.4.1, 6.4.6). */
  temporaryCodes: z
    .object({
      /** `show`: displayed once to the administrator; `mail`: sent to the user's address only. */
      delivery: z.enum(['show', 'mail']).default('show'),
      /** Lifetime of a code shown to an administrator (read out or handed over at once). */
      shownTtlMinutes: int(1, 60).default(10),
      /** Lifetime of a code sent to the user (posted or e-mailed). */
      postedTtlDays: int(1, 30).default(7),
      /** How long an administrator's own login counts as fresh enough to issue a code. */
      freshLoginSeconds: int(30, 3600).default(300),
    })
    .prefault({}),
  /**
   * Secret expiry per credential kind (off by default, NIST §5.1.1.2 and ASVS 5.0 6.2.10 advise
   * against periodic change; the insurer's portals turn it on). `days: 0` means never.
   */
  expiry: z
    .object({
      password: z.object({ days: int(0, 3650).default(0), remindDaysBefore: z.preprocess((v) => (typeof v === 'string' ? v.split(',').map((x) => Number(x.trim())) : v), z.array(int(1, 365))).default([14, 3]) }).prefault({}),
      pin: z.object({ days: int(0, 3650).default(0), remindDaysBefore: z.preprocess((v) => (typeof v === 'string' ? v.split(',').map((x) => Number(x.trim())) : v), z.array(int(1, 365))).default([14, 3]) }).prefault({}),
      /** How often each process looks for reminders to send (a Redis lock sends each one once). */
      jobIntervalSeconds: int(10, 86400).default(3600),
    })
    .prefault({}),
  abuse: z
    .object({
      perIp: z.object({ points: int(1, 1_000_000).default(100), durationSeconds: int(1, 86400).default(300) }).prefault({}),
      perIdentifier: z.object({ points: int(1, 1_000_000).default(20), durationSeconds: int(1, 86400).default(900) }).prefault({}),
      /** Failures from one IP or on one identifier after which a captcha is required; 0 disables it. */
      captchaAfterFailures: int(0, 1000).default(3),
      failureWindowSeconds: int(60, 7 * 86400).default(3600),
      captchaTtlSeconds: int(30, 3600).default(300),
    })
    .prefault({}),
  /**
   * X.509 client certificates (the bank's certificate on a USB token): chain to a configured CA,
   * validity, key usage digitalSignature and extended key usage clientAuth (RFC 5280 §4.2.1.3,
   * §4.2.1.12), revocation by CRL (RFC 5280 §5, §6.3). ASVS 5.0 12.1.3; STANDARDS.md ASVS-41.
   * OCSP is not implemented: revocation comes from the CRL files only.
   */
  x509: z
    .object({
      enabled: bool.default(false),
      /** Trust anchors: PEM files of the CA certificates that issue client certificates (one or more certificates each). */
      caFiles: commaList(z.string().min(1)).default([]),
      /** Intermediate CA certificates (PEM) used to build a path to an anchor; never trusted by themselves. */
      intermediateFiles: commaList(z.string().min(1)).default([]),
      /** CRL files (PEM or DER), each signed by one of the configured CAs; re-read by `reload()`. */
      crlFiles: commaList(z.string().min(1)).default([]),
      /** Every CA of a chain must have a current CRL (fail closed); false accepts a CA without any CRL file. A stale CRL always fails. */
      requireCrl: bool.default(true),
      /** `binding`: enrolled certificates only (SHA-256 thumbprint); `subject`: also certificates whose subject matches an account by `subjectRule`. */
      mapping: z.enum(['binding', 'subject']).default('binding'),
      subjectRule: z
        .object({
          /** Where the name is read: the SAN rfc822Name, the subject's emailAddress, or the subject CN. */
          source: z.enum(['san-email', 'subject-email', 'subject-cn']).default('san-email'),
          /** The account attribute it must equal. */
          attribute: z.enum(['email', 'username']).default('email'),
        })
        .prefault({}),
      /** The tokens ask a PIN before signing: the certificate then proves possession and knowledge (amr sc, pin, mfa). */
      pinProtected: bool.default(false),
      /** Guichet's own TLS listener asking for a client certificate, on a port of its own (0: off). */
      tls: z
        .object({
          port: int(0, 65535).default(0),
          host: z.string().default('0.0.0.0'),
          /** The listener's server key and certificate chain (PEM). */
          keyFile: z.string().optional(),
          certFile: z.string().optional(),
        })
        .prefault({}),
      /** Reverse proxies whose RFC 9440 `Client-Cert` header is believed (addresses or CIDR subnets); empty: never. */
      trustedProxies: commaList(addressOrSubnet).default([]),
    })
    .prefault({}),
});

export type Config = z.infer<typeof configSchema>;

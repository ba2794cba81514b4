import { z } from 'zod';

/** Development values that must never reach production; using them warns loudly once at start. */
export const DEV_SECRET_KEY = 'Z3VpY2hldC1kZXZlbG9wbWVudC1rZXktMzJieXRlcyE='; // base64 of a public 32-byte phrase

const bool = z
  .union([z.boolean(), z.enum(['true', 'false', '1', '0', 'yes', 'no'])])
  .transform((v) => v === true || v === 'true' || v === '1' || v === 'yes');

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

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
});

export type Config = z.infer<typeof configSchema>;

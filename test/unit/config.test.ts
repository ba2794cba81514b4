import { describe, test, expect } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { ConfigError, loadConfig, productionWarnings } from '../../src/config/load.js';
import { DEV_SECRET_KEY } from '../../src/config/schema.js';

/** The problems a configuration is refused with, or a failure when it is accepted. */
function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).problems;
  }
  throw new Error(`configuration was accepted: ${JSON.stringify(env)}`);
}

const REAL_KEY = randomBytes(32).toString('base64');

describe('loadConfig', () => {
  test('an empty environment gives the documented defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      issuer: 'http://localhost:3000',
      host: '0.0.0.0',
      port: 3000,
      trustProxy: false,
      redisPrefix: 'guichet:',
      dataDir: '.guichet',
      secretKey: DEV_SECRET_KEY,
      seedDemo: false,
      logLevel: 'info',
      maxBodyBytes: 16 * 1024,
      password: { memoryKiB: 19456, timeCost: 2, parallelism: 1 },
      ttl: { authorizationCode: 60, accessToken: 600, idToken: 3600, refreshToken: 14 * 86400, interaction: 3600, session: 14 * 86400, flow: 86400 },
      defaultLocale: 'fr',
    });
    expect(config.databaseUrl).toBeUndefined();
    expect(config.redisUrl).toBeUndefined();
  });

  test('environment variables are read and coerced; empty ones are ignored', () => {
    const config = loadConfig({
      GUICHET_ISSUER: 'https://login.bank.example',
      PORT: '8443',
      GUICHET_TRUST_PROXY: 'yes',
      REDIS_URL: 'redis://cache:6379/2',
      DATABASE_URL: '',
      GUICHET_PASSWORD_MEMORY_KIB: '65536',
      GUICHET_PASSWORD_TIME_COST: '3',
      GUICHET_CODE_TTL: '30',
      GUICHET_DEFAULT_LOCALE: 'en',
      GUICHET_SECRET_KEY: REAL_KEY,
    });
    expect(config).toMatchObject({
      issuer: 'https://login.bank.example',
      port: 8443,
      trustProxy: true,
      redisUrl: 'redis://cache:6379/2',
      password: { memoryKiB: 65536, timeCost: 3, parallelism: 1 },
      ttl: { authorizationCode: 30 },
      defaultLocale: 'en',
      secretKey: REAL_KEY,
    });
    expect(config.databaseUrl).toBeUndefined();
  });

  test('every invalid setting is listed at once, under its environment variable', () => {
    const problems = problemsOf({
      GUICHET_ISSUER: 'not a url',
      PORT: 'eighty',
      GUICHET_TRUST_PROXY: 'maybe',
      LOG_LEVEL: 'chatty',
      GUICHET_PASSWORD_MEMORY_KIB: '1024',
      GUICHET_CODE_TTL: '600',
      GUICHET_DEFAULT_LOCALE: 'de',
    });
    const variables = problems.map((p) => p.split(':')[0]).sort();
    expect(variables).toEqual(['GUICHET_CODE_TTL', 'GUICHET_DEFAULT_LOCALE', 'GUICHET_ISSUER', 'GUICHET_PASSWORD_MEMORY_KIB', 'GUICHET_TRUST_PROXY', 'LOG_LEVEL', 'PORT']);
  });

  test('the message of ConfigError lists each problem on its own line', () => {
    try {
      loadConfig({ PORT: '70000', LOG_LEVEL: 'chatty' });
      throw new Error('accepted');
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as Error).message).toMatch(/^Invalid configuration:\n {2}- /);
      expect((e as Error).message).toContain('\n  - PORT: ');
      expect((e as Error).message).toContain('\n  - LOG_LEVEL: ');
    }
  });

  test('the secret key must be 32 bytes in base64', () => {
    expect(problemsOf({ GUICHET_SECRET_KEY: randomBytes(16).toString('base64') })).toEqual([expect.stringMatching(/^GUICHET_SECRET_KEY: must be 32 bytes/)]);
    expect(problemsOf({ GUICHET_SECRET_KEY: randomBytes(48).toString('base64') })).toEqual([expect.stringMatching(/^GUICHET_SECRET_KEY: /)]);
    expect(problemsOf({ GUICHET_SECRET_KEY: 'a passphrase, not a key' })).toEqual([expect.stringMatching(/^GUICHET_SECRET_KEY: /)]);
    expect(loadConfig({ GUICHET_SECRET_KEY: REAL_KEY }).secretKey).toBe(REAL_KEY);
  });

  test('cross-field checks are listed together: key length and an issuer with a query', () => {
    const problems = problemsOf({ GUICHET_SECRET_KEY: 'c2hvcnQ=', GUICHET_ISSUER: 'https://login.bank.example/?tenant=1' });
    expect(problems).toHaveLength(2);
    expect(problems).toEqual(expect.arrayContaining([expect.stringMatching(/^GUICHET_SECRET_KEY: /), expect.stringMatching(/^GUICHET_ISSUER: must not carry a query/)]));
  });

  test('ASVS-27 password hashing parameters below the argon2id floor are refused', () => {
    expect(problemsOf({ GUICHET_PASSWORD_MEMORY_KIB: '19455' })).toEqual([expect.stringMatching(/^GUICHET_PASSWORD_MEMORY_KIB: /)]);
    expect(problemsOf({ GUICHET_PASSWORD_TIME_COST: '1' })).toEqual([expect.stringMatching(/^GUICHET_PASSWORD_TIME_COST: /)]);
    expect(problemsOf({ GUICHET_PASSWORD_PARALLELISM: '0' })).toEqual([expect.stringMatching(/^GUICHET_PASSWORD_PARALLELISM: /)]);
    expect(loadConfig({ GUICHET_PASSWORD_MEMORY_KIB: '19456', GUICHET_PASSWORD_TIME_COST: '2', GUICHET_PASSWORD_PARALLELISM: '1' }).password).toEqual({ memoryKiB: 19456, timeCost: 2, parallelism: 1 });
  });

  test('an unreadable configuration file is a problem under GUICHET_CONFIG_FILE', () => {
    expect(problemsOf({ GUICHET_CONFIG_FILE: '/nonexistent/guichet.json' })).toEqual([expect.stringMatching(/^GUICHET_CONFIG_FILE: cannot read/)]);
  });

  test('the result is frozen, nested objects included', () => {
    const config = loadConfig({});
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.password)).toBe(true);
    expect(Object.isFrozen(config.ttl)).toBe(true);
    expect(() => {
      (config as { port: number }).port = 1;
    }).toThrow(TypeError);
    expect(() => {
      (config.password as { memoryKiB: number }).memoryKiB = 1024;
    }).toThrow(TypeError);
    expect(config.password.memoryKiB).toBe(19456);
  });
});

describe('productionWarnings', () => {
  test('the development secret key and other first-run settings are named', () => {
    const warnings = productionWarnings(loadConfig({}));
    expect(warnings).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^GUICHET_SECRET_KEY is the development key/),
        expect.stringMatching(/^DATABASE_URL is not set/),
        expect.stringMatching(/^REDIS_URL is not set/),
        expect.stringMatching(/^GUICHET_ISSUER is not https/),
      ]),
    );
  });

  test('a production configuration has none', () => {
    const config = loadConfig({
      GUICHET_ISSUER: 'https://login.bank.example',
      GUICHET_SECRET_KEY: REAL_KEY,
      DATABASE_URL: 'postgres://guichet@db/guichet',
      REDIS_URL: 'redis://cache:6379/0',
    });
    expect(productionWarnings(config)).toEqual([]);
  });
});

describe('lockout policy validation', () => {
  test('PSD2-07 a first block that is permanent without an alert to the user is refused', () => {
    expect(problemsOf({ GUICHET_LOCKOUT_TEMPORARY_BLOCKS: '0', GUICHET_LOCKOUT_ALERT: 'false' })).toEqual([expect.stringMatching(/^GUICHET_LOCKOUT_ALERT: .*PSD2 RTS art\. 4\(4\)/)]);
    expect(loadConfig({ GUICHET_LOCKOUT_TEMPORARY_BLOCKS: '2', GUICHET_LOCKOUT_ALERT: 'false' }).lockout).toMatchObject({ temporaryBlocks: 2, alert: false });
    expect(loadConfig({}).lockout).toMatchObject({ maxAttempts: 5, temporaryBlocks: 0, alert: true });
  });

  test('PSD2-06 more than five attempts before a block is refused', () => {
    expect(problemsOf({ GUICHET_LOCKOUT_MAX_ATTEMPTS: '6' })).toEqual([expect.stringMatching(/^GUICHET_LOCKOUT_MAX_ATTEMPTS: /)]);
  });
});

describe('JSON settings', () => {
  test('card issuer keys come as JSON; bad JSON or a bad key is a listed problem, not a crash', () => {
    expect(loadConfig({ GUICHET_CAP_ISSUER_KEYS: '{"demo":"0123456789ABCDEFFEDCBA9876543210"}' }).emvCap.issuerKeys).toEqual({ demo: '0123456789ABCDEFFEDCBA9876543210' });
    expect(problemsOf({ GUICHET_CAP_ISSUER_KEYS: '{not json' })).toEqual([expect.stringMatching(/^GUICHET_CAP_ISSUER_KEYS: /)]);
    expect(problemsOf({ GUICHET_CAP_ISSUER_KEYS: '{"demo":"short"}' })[0]).toMatch(/^GUICHET_CAP_ISSUER_KEYS/);
  });
});

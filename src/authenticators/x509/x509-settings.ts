import { configSchema, type Config } from '../../config/schema.js';
import { GuichetError } from '../../errors/codes.js';

/**
 * Settings of the X.509 client-certificate factor: the `x509` section of the configuration schema
 * (src/config/schema.ts is their single source, documented in docs/CONFIGURATION.md).
 */
export type X509Settings = Config['x509'];
export type X509SettingsInput = Partial<Omit<X509Settings, 'subjectRule' | 'tls'>> & { subjectRule?: Partial<X509Settings['subjectRule']>; tls?: Partial<X509Settings['tls']> };

const x509SettingsSchema = configSchema.shape.x509;

/** The named cross-field checks, the same ones `loadConfig` runs (config/load.ts). */
export function checkX509Settings(settings: X509Settings): string[] {
  const problems: string[] = [];
  if (settings.enabled && settings.caFiles.length === 0) problems.push('x509.caFiles: X.509 client certificates need at least one CA certificate file');
  if (settings.tls.port > 0 && (!settings.tls.keyFile || !settings.tls.certFile)) problems.push('x509.tls: the client-certificate listener needs keyFile and certFile');
  return problems;
}

/** Fills in the defaults, runs the checks and freezes the result; a bad setting is a fault at start. */
export function resolveX509Settings(input: X509SettingsInput = {}): Readonly<X509Settings> {
  const parsed = x509SettingsSchema.safeParse(input);
  if (!parsed.success) throw new GuichetError('invalid_config', 'invalid x509 settings', { issues: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) });
  const problems = checkX509Settings(parsed.data);
  if (problems.length > 0) throw new GuichetError('invalid_config', problems.join('; '), { issues: problems });
  return Object.freeze({ ...parsed.data, subjectRule: Object.freeze({ ...parsed.data.subjectRule }), tls: Object.freeze({ ...parsed.data.tls }) });
}

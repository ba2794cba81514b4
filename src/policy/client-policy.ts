import type { Config } from '../config/schema.js';
import { isMethodId, isProfileId, METHOD_IDS, PROFILES, resolvePolicy, type MethodId, type PolicyOverrides, type ScaPolicy } from '../config/profiles.js';

/** The client metadata that tunes its policy (`guichet client add`, seed fixtures, registration). */
export const POLICY_METADATA = ['guichet_policy', 'guichet_minimum_level', 'guichet_sca_period_days', 'guichet_new_device_sca', 'guichet_idle_seconds', 'guichet_otp_for_payments', 'guichet_allowed_methods'] as const;

const level = (v: unknown) => (v === 'simple' || v === 'sca' || v === 'sca-phr' ? v : undefined);
const integer = (v: unknown) => (typeof v === 'number' && Number.isInteger(v) ? v : undefined);
const flag = (v: unknown) => (typeof v === 'boolean' ? v : undefined);

/** The method a client's first factor is (`guichet_first_factor`, else GUICHET_FIRST_FACTOR); a card login is the reader's. */
export function firstFactorMethod(config: Readonly<Config>, metadata: Record<string, unknown>): MethodId {
  const factor = metadata.guichet_first_factor === 'password' || metadata.guichet_first_factor === 'pin' || metadata.guichet_first_factor === 'card' ? metadata.guichet_first_factor : config.login.firstFactor;
  return factor === 'card' ? 'emv-cap' : factor;
}

/** The deployment's overrides (GUICHET_SCA_*), then the client's own (`guichet_*` metadata). */
function overridesOf(config: Readonly<Config>, metadata: Record<string, unknown>): PolicyOverrides {
  const clientPeriod = metadata.guichet_sca_period_days;
  return {
    minimumLevel: level(metadata.guichet_minimum_level) ?? (config.sca.defaultMinimumLevel === 'simple' ? undefined : config.sca.defaultMinimumLevel),
    periodDays: clientPeriod === null ? null : (integer(clientPeriod) ?? config.sca.periodDays),
    newDevice: flag(metadata.guichet_new_device_sca) ?? config.sca.newDevice,
    idleSeconds: integer(metadata.guichet_idle_seconds) ?? config.sca.idleSeconds,
    otpForPayments: flag(metadata.guichet_otp_for_payments),
    allowedMethods: (metadata.guichet_allowed_methods as MethodId[] | undefined) ?? config.sca.allowedMethods,
  };
}

/** What is wrong with a client's `guichet_allowed_methods` list, and whether its first factor is in the effective one. */
function methodProblems(config: Readonly<Config>, metadata: Record<string, unknown>): string[] {
  const listed: unknown = metadata.guichet_allowed_methods;
  const problems: string[] = [];
  if (listed !== undefined) {
    if (!Array.isArray(listed) || listed.length === 0) return [`guichet_allowed_methods: a non-empty list among ${METHOD_IDS.join(', ')}`];
    const unknown = listed.filter((m) => !isMethodId(m));
    if (unknown.length > 0) return [`guichet_allowed_methods: unknown method ${unknown.map(String).join(', ')} (known: ${METHOD_IDS.join(', ')})`];
    const beyond = (listed as MethodId[]).filter((m) => !config.sca.allowedMethods.includes(m));
    if (beyond.length > 0) problems.push(`guichet_allowed_methods: ${beyond.join(', ')} not allowed by the deployment (GUICHET_SCA_ALLOWED_METHODS)`);
  }
  const first = firstFactorMethod(config, metadata);
  const allowed = (listed as MethodId[] | undefined) ?? config.sca.allowedMethods;
  if (!allowed.includes(first)) problems.push(`guichet_allowed_methods: must include ${first}, the client's first factor`);
  return problems;
}

/**
 * A client's SCA policy: its profile (`guichet_policy`, else GUICHET_SCA_PROFILE) with the knobs
 * it sets, refused when they leave the profile's bounds (a PSD2 client cannot get a 200-day period)
 * or allow methods the deployment does not, or not the client's own first factor.
 */
export function checkClientPolicy(config: Readonly<Config>, metadata: Record<string, unknown>): { ok: true; policy: ScaPolicy } | { ok: false; problems: string[] } {
  const profile = metadata.guichet_policy === undefined ? config.sca.profile : metadata.guichet_policy;
  if (!isProfileId(profile)) return { ok: false, problems: [`guichet_policy: one of ${Object.keys(PROFILES).join(', ')}`] };
  const methods = methodProblems(config, metadata);
  if (methods.length > 0) return { ok: false, problems: methods };
  return resolvePolicy(profile, overridesOf(config, metadata));
}

/**
 * The policy a request is judged by. A client stored with settings its profile refuses (written
 * around the registration checks) gets the profile's own defaults: never a looser rule. Its methods
 * are then those of its list the deployment allows (possibly none), else the deployment's.
 */
export function scaPolicyOf(config: Readonly<Config>, metadata: Record<string, unknown> | undefined): ScaPolicy {
  const checked = checkClientPolicy(config, metadata ?? {});
  if (checked.ok) return checked.policy;
  const profile = isProfileId(metadata?.guichet_policy) ? metadata.guichet_policy : config.sca.profile;
  const listed = metadata?.guichet_allowed_methods;
  const allowedMethods = Array.isArray(listed) ? config.sca.allowedMethods.filter((m) => listed.includes(m)) : config.sca.allowedMethods;
  return { profile, ...PROFILES[profile].defaults, allowedMethods };
}

/** Whether a client's policy lets this method be offered and accepted. */
export const methodAllowed = (config: Readonly<Config>, metadata: Record<string, unknown> | undefined, method: MethodId): boolean => scaPolicyOf(config, metadata).allowedMethods.includes(method);

import type { Config } from '../config/schema.js';
import { isProfileId, PROFILES, resolvePolicy, type PolicyOverrides, type ScaPolicy } from '../config/profiles.js';

/** The client metadata that tunes its policy (`guichet client add`, seed fixtures, registration). */
export const POLICY_METADATA = ['guichet_policy', 'guichet_minimum_level', 'guichet_sca_period_days', 'guichet_new_device_sca', 'guichet_idle_seconds', 'guichet_otp_for_payments'] as const;

const level = (v: unknown) => (v === 'simple' || v === 'sca' || v === 'sca-phr' ? v : undefined);
const integer = (v: unknown) => (typeof v === 'number' && Number.isInteger(v) ? v : undefined);
const flag = (v: unknown) => (typeof v === 'boolean' ? v : undefined);

/** The deployment's overrides (GUICHET_SCA_*), then the client's own (`guichet_*` metadata). */
function overridesOf(config: Readonly<Config>, metadata: Record<string, unknown>): PolicyOverrides {
  const clientPeriod = metadata.guichet_sca_period_days;
  return {
    minimumLevel: level(metadata.guichet_minimum_level) ?? (config.sca.defaultMinimumLevel === 'simple' ? undefined : config.sca.defaultMinimumLevel),
    periodDays: clientPeriod === null ? null : (integer(clientPeriod) ?? config.sca.periodDays),
    newDevice: flag(metadata.guichet_new_device_sca) ?? config.sca.newDevice,
    idleSeconds: integer(metadata.guichet_idle_seconds) ?? config.sca.idleSeconds,
    otpForPayments: flag(metadata.guichet_otp_for_payments),
  };
}

/**
 * A client's SCA policy: its profile (`guichet_policy`, else GUICHET_SCA_PROFILE) with the knobs
 * it sets, refused when they leave the profile's bounds (a PSD2 client cannot get a 200-day period).
 */
export function checkClientPolicy(config: Readonly<Config>, metadata: Record<string, unknown>): { ok: true; policy: ScaPolicy } | { ok: false; problems: string[] } {
  const profile = metadata.guichet_policy === undefined ? config.sca.profile : metadata.guichet_policy;
  if (!isProfileId(profile)) return { ok: false, problems: [`guichet_policy: one of ${Object.keys(PROFILES).join(', ')}`] };
  return resolvePolicy(profile, overridesOf(config, metadata));
}

/**
 * The policy a request is judged by. A client stored with settings its profile refuses (written
 * around the registration checks) gets the profile's own defaults: never a looser rule.
 */
export function scaPolicyOf(config: Readonly<Config>, metadata: Record<string, unknown> | undefined): ScaPolicy {
  const checked = checkClientPolicy(config, metadata ?? {});
  if (checked.ok) return checked.policy;
  const profile = isProfileId(metadata?.guichet_policy) ? metadata.guichet_policy : config.sca.profile;
  return { profile, ...PROFILES[profile].defaults };
}

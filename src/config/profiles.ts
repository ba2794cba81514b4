/** The levels a policy can require (src/policy/assurance.ts computes the level reached). */
type Level = 'simple' | 'sca' | 'sca-phr';

export type ProfileId = 'basic' | 'psd2' | 'strict';

/**
 * The authentication methods a policy can allow, by authenticator id (src/authenticators/contract.ts):
 * first factors (`password`, `pin`), code factors (`emv-cap`, `totp`, `hotp`), passkeys and client
 * certificates. A card-reader login (`guichet_first_factor: card`) is `emv-cap`.
 */
export const METHOD_IDS = ['password', 'pin', 'emv-cap', 'totp', 'hotp', 'webauthn', 'x509'] as const;
export type MethodId = (typeof METHOD_IDS)[number];
export const isMethodId = (v: unknown): v is MethodId => (METHOD_IDS as readonly unknown[]).includes(v);

/**
 * A client's authentication policy: what its users must prove and when. Profiles are data; a
 * client picks one (`guichet_policy`) and may move a knob only inside the profile's bounds.
 */
export interface ScaPolicy {
  profile: ProfileId;
  /** Lowest level the client accepts at all. */
  minimumLevel: Level;
  /** Days an SCA keeps counting for simple-level access; null: the rule is off (no periodic SCA). */
  periodDays: number | null;
  /** A device not yet seen for the account (no known device cookie) requires SCA. */
  newDevice: boolean;
  /** Seconds without activity after which an SCA no longer counts for an SCA-level request. */
  idleSeconds: number;
  /** One-time codes (TOTP, HOTP) may authorise a payment (dynamic linking needs CAP sign or a passkey otherwise). */
  otpForPayments: boolean;
  /** The methods offered and accepted for this client; any other is neither shown nor taken (`method_not_allowed`). */
  allowedMethods: readonly MethodId[];
}

interface Bounds {
  periodDays: { min: number; max: number } | null;
  idleSeconds: { min: number; max: number };
  newDeviceRequired: boolean;
  minimumLevelAtLeast: Level;
}

export interface Profile {
  id: ProfileId;
  /** What it is for, printed by `guichet policy check`. */
  summary: string;
  defaults: Omit<ScaPolicy, 'profile'>;
  bounds: Bounds;
}

/**
 * Every profile allows every method: no standard forbids one outright (PSD2 RTS art. 4–8 judge the
 * combination, which the levels in src/policy/assurance.ts already do); a bank narrows the list per
 * client or for the deployment.
 * - `basic`: a portal outside PSD2 (a credit insurer, STANDARDS.md G-15): the level the client or the
 *   request asks, nothing periodic.
 * - `psd2`: the bank's rules (PSD2 RTS art. 4(3)(d), 10): SCA at first access and every 90 days
 *   (at most 180), on a new device, again after 5 idle minutes for SCA-level access.
 * - `strict`: ASVS L2 / NIST AAL2 leaning: SCA every 30 days at most, idle 5 minutes, every client at SCA.
 */
export const PROFILES: Readonly<Record<ProfileId, Profile>> = {
  basic: {
    id: 'basic',
    summary: 'no periodic SCA: the level the client or the request asks (a portal outside PSD2)',
    defaults: { minimumLevel: 'simple', periodDays: null, newDevice: false, idleSeconds: 900, otpForPayments: true, allowedMethods: METHOD_IDS },
    bounds: { periodDays: { min: 1, max: 3650 }, idleSeconds: { min: 60, max: 3600 }, newDeviceRequired: false, minimumLevelAtLeast: 'simple' },
  },
  psd2: {
    id: 'psd2',
    summary: 'PSD2 RTS: SCA at first access and every N ≤ 180 days, on a new device, after 5 idle minutes for SCA-level access',
    defaults: { minimumLevel: 'simple', periodDays: 90, newDevice: true, idleSeconds: 300, otpForPayments: false, allowedMethods: METHOD_IDS },
    bounds: { periodDays: { min: 1, max: 180 }, idleSeconds: { min: 60, max: 300 }, newDeviceRequired: false, minimumLevelAtLeast: 'simple' },
  },
  strict: {
    id: 'strict',
    summary: 'ASVS L2 / NIST AAL2: every login is SCA, re-SCA after 5 idle minutes, new devices always challenged',
    defaults: { minimumLevel: 'sca', periodDays: 30, newDevice: true, idleSeconds: 300, otpForPayments: false, allowedMethods: METHOD_IDS },
    bounds: { periodDays: { min: 1, max: 30 }, idleSeconds: { min: 60, max: 300 }, newDeviceRequired: true, minimumLevelAtLeast: 'sca' },
  },
};

export const isProfileId = (v: unknown): v is ProfileId => v === 'basic' || v === 'psd2' || v === 'strict';

const RANK: Record<Level, number> = { simple: 1, sca: 2, 'sca-phr': 3 };

/** Client overrides, as found in client metadata (`guichet_*`) or the deployment's settings. */
export interface PolicyOverrides {
  minimumLevel?: Level | undefined;
  periodDays?: number | null | undefined;
  newDevice?: boolean | undefined;
  idleSeconds?: number | undefined;
  otpForPayments?: boolean | undefined;
  allowedMethods?: readonly MethodId[] | undefined;
}

/**
 * The policy a profile and its overrides make, or the list of settings the profile refuses (a
 * PSD2 client cannot be given a 200-day period, a strict one cannot drop the new-device rule).
 */
export function resolvePolicy(profileId: ProfileId, overrides: PolicyOverrides): { ok: true; policy: ScaPolicy } | { ok: false; problems: string[] } {
  const profile = PROFILES[profileId];
  const policy: ScaPolicy = { profile: profileId, ...profile.defaults };
  for (const [key, value] of Object.entries(overrides) as [keyof PolicyOverrides, unknown][]) if (value !== undefined) (policy as unknown as Record<string, unknown>)[key] = value;
  const problems: string[] = [];
  const { bounds } = profile;
  if (policy.periodDays === null) {
    if (bounds.periodDays && profile.defaults.periodDays !== null) problems.push(`periodDays: the ${profileId} profile requires periodic SCA (1–${bounds.periodDays.max} days)`);
  } else if (bounds.periodDays && (policy.periodDays < bounds.periodDays.min || policy.periodDays > bounds.periodDays.max || !Number.isInteger(policy.periodDays))) {
    problems.push(`periodDays: ${policy.periodDays} is outside ${bounds.periodDays.min}–${bounds.periodDays.max} days allowed by the ${profileId} profile${profileId === 'psd2' ? ' (PSD2 RTS art. 10: at most 180)' : ''}`);
  }
  if (policy.idleSeconds < bounds.idleSeconds.min || policy.idleSeconds > bounds.idleSeconds.max || !Number.isInteger(policy.idleSeconds)) {
    problems.push(`idleSeconds: ${policy.idleSeconds} is outside ${bounds.idleSeconds.min}–${bounds.idleSeconds.max} s allowed by the ${profileId} profile${profileId === 'psd2' ? ' (PSD2 RTS art. 4(3)(d): at most 5 minutes)' : ''}`);
  }
  if (bounds.newDeviceRequired && !policy.newDevice) problems.push(`newDevice: the ${profileId} profile requires SCA on a new device`);
  if (RANK[policy.minimumLevel] < RANK[bounds.minimumLevelAtLeast]) problems.push(`minimumLevel: the ${profileId} profile requires at least ${bounds.minimumLevelAtLeast}`);
  if (policy.allowedMethods.length === 0) problems.push('allowedMethods: at least one method must be allowed');
  const unknown = policy.allowedMethods.filter((m) => !isMethodId(m));
  if (unknown.length > 0) problems.push(`allowedMethods: unknown method ${unknown.join(', ')} (known: ${METHOD_IDS.join(', ')})`);
  return problems.length > 0 ? { ok: false, problems } : { ok: true, policy };
}

import type { Config } from './schema.js';
import { METHOD_IDS, PROFILES, resolvePolicy } from './profiles.js';

export type Verdict = 'satisfies' | 'stricter' | 'departs';

export interface PolicyRule {
  /** STANDARDS.md row or conflict the rule answers (G-4, PSD2-06, …). */
  ref: string;
  rule: string;
  value: string;
  standard: string;
  verdict: Verdict;
  /** Why it departs, and the setting that removes the departure. */
  note?: string;
}

/**
 * Every authentication rule of a configuration with the standard it satisfies or departs from
 * (STANDARDS.md section G): what `guichet policy check` prints. Pure, so each line is tested.
 */
export function policyReport(config: Readonly<Config>): PolicyRule[] {
  const rules: PolicyRule[] = [];
  const add = (r: PolicyRule) => rules.push(r);
  const resolved = resolvePolicy(config.sca.profile, { periodDays: config.sca.periodDays, idleSeconds: config.sca.idleSeconds, newDevice: config.sca.newDevice });
  const sca = resolved.ok ? resolved.policy : { ...PROFILES[config.sca.profile].defaults, profile: config.sca.profile };

  add({ ref: 'G-4 / PSD2-23', rule: `SCA period (profile ${sca.profile})`, value: sca.periodDays === null ? 'off' : `${sca.periodDays} days`, standard: 'PSD2 RTS art. 10: SCA at first access and at least every 180 days', verdict: sca.periodDays === null ? 'departs' : sca.periodDays < 180 ? 'stricter' : 'satisfies', ...(sca.periodDays === null ? { note: 'no periodic SCA: only for portals outside PSD2 (G-15); GUICHET_SCA_PROFILE=psd2' } : {}) });
  add({ ref: 'G-6 / PSD2-10', rule: 'idle limit after SCA', value: `${sca.idleSeconds} s`, standard: 'PSD2 RTS art. 4(3)(d): at most 5 minutes', verdict: sca.idleSeconds <= 300 ? 'satisfies' : 'departs', ...(sca.idleSeconds > 300 ? { note: 'GUICHET_SCA_IDLE_SECONDS=300' } : {}) });
  add({ ref: 'DESIGN', rule: 'new device requires SCA', value: sca.newDevice ? 'on' : 'off', standard: 'PSD2 RTS art. 2 (risk analysis): an unknown device is a risk factor', verdict: sca.newDevice ? 'stricter' : 'satisfies' });
  const allMethods = METHOD_IDS.every((m) => config.sca.allowedMethods.includes(m));
  add({ ref: 'DESIGN', rule: 'methods clients may use (each may name fewer: guichet_allowed_methods)', value: allMethods ? `all (${METHOD_IDS.join(', ')})` : config.sca.allowedMethods.join(', '), standard: 'PSD2 RTS art. 4–8: the level reached is judged from the methods completed, whichever are allowed', verdict: 'satisfies' });
  add({ ref: 'G-5 / PSD2-06', rule: 'failed attempts before a block', value: String(config.lockout.maxAttempts), standard: 'PSD2 RTS art. 4(3)(b): at most 5', verdict: config.lockout.maxAttempts <= 5 ? 'satisfies' : 'departs' });
  add({ ref: 'PSD2-07', rule: 'block alert and temporary blocks', value: `${config.lockout.temporaryBlocks} temporary, alert ${config.lockout.alert ? 'on' : 'off'}`, standard: 'PSD2 RTS art. 4(4): alert before a block becomes permanent', verdict: config.lockout.alert ? 'satisfies' : 'departs' });
  const firstFactorPin = config.login.firstFactor === 'pin';
  add({ ref: 'G-2', rule: 'simple factor', value: firstFactorPin ? `confidential code of ${config.pinPolicy.length} digits` : config.login.firstFactor, standard: 'NIST 800-63B r4 §3.1.1.2 / ASVS 5.0 6.2.1: user-chosen secrets of 8+ (15 alone)', verdict: firstFactorPin && sca.minimumLevel === 'simple' ? 'departs' : 'satisfies', ...(firstFactorPin && sca.minimumLevel === 'simple' ? { note: 'a 6-digit code as the only factor: allowed with the PSD2 lockout and blocklist; GUICHET_MINIMUM_LEVEL=sca or GUICHET_FIRST_FACTOR=password removes it' } : {}) });
  add({ ref: 'ASVS-01', rule: 'password length', value: `${config.passwordPolicy.minLength}–${config.passwordPolicy.maxLength}`, standard: 'ASVS 5.0 6.2.1 (8+), 6.2.9 (64+ allowed); NIST r4: 15 for single-factor', verdict: config.passwordPolicy.minLength >= 15 ? 'stricter' : 'satisfies', ...(config.passwordPolicy.minLength < 15 ? { note: 'NIST r4 asks 15 for a password used alone: GUICHET_PASSWORD_MIN_LENGTH=15' } : {}) });
  add({ ref: 'ASVS-03', rule: 'password composition rules', value: config.passwordPolicy.composition.enabled ? 'on' : 'off', standard: 'NIST §5.1.1.2, ASVS 5.0 6.2.5: none', verdict: config.passwordPolicy.composition.enabled ? 'departs' : 'satisfies', ...(config.passwordPolicy.composition.enabled ? { note: 'GUICHET_PASSWORD_COMPOSITION=false' } : {}) });
  add({ ref: 'N3-07', rule: 'common-password blocklist', value: config.passwordPolicy.blocklist ? 'on' : 'off', standard: 'NIST §5.1.1.2, ASVS 5.0 6.2.4', verdict: config.passwordPolicy.blocklist ? 'satisfies' : 'departs' });
  add({ ref: 'CS-01', rule: 'password hashing', value: `argon2id m=${config.password.memoryKiB} t=${config.password.timeCost} p=${config.password.parallelism}`, standard: 'ASVS 5.0 11.4.2: m ≥ 19456 KiB, t ≥ 2, p = 1', verdict: 'satisfies' });
  const expiring = (['password', 'pin'] as const).filter((k) => config.expiry[k].days > 0);
  add({ ref: 'G-3', rule: 'periodic expiry of secrets', value: expiring.length === 0 ? 'off' : expiring.map((k) => `${k} ${config.expiry[k].days} days`).join(', '), standard: 'NIST §5.1.1.2, ASVS 5.0 6.2.10: no periodic change', verdict: expiring.length === 0 ? 'satisfies' : 'departs', ...(expiring.length > 0 ? { note: 'the insurer portals ask for it; GUICHET_PASSWORD_EXPIRY_DAYS=0 and GUICHET_PIN_EXPIRY_DAYS=0' } : {}) });
  add({ ref: 'G-1 / CS-03', rule: 'security questions for recovery', value: config.recovery.securityQuestions ? (config.recovery.emailLinkFirst ? 'on, after an e-mailed link' : 'on, answers after the captcha') : 'off', standard: 'ASVS 5.0 6.4.2 and NIST r4: none; OWASP: never the sole mechanism', verdict: !config.recovery.securityQuestions ? 'satisfies' : 'departs', ...(config.recovery.securityQuestions ? { note: config.recovery.emailLinkFirst ? 'mitigated: a possession proof (the link) comes first; GUICHET_RECOVERY_QUESTIONS=false removes them' : 'answers alone can reset a secret: GUICHET_RECOVERY_EMAIL_LINK_FIRST=true, or GUICHET_RECOVERY_QUESTIONS=false' } : {}) });
  add({ ref: 'G-10 / CS-02', rule: 'recovery requests', value: 'captcha on every request, rate limited, same answer for every identifier', standard: 'OWASP Forgot Password CS', verdict: 'satisfies' });
  add({ ref: 'G-9 / ASVS-11', rule: 'administrators’ temporary codes', value: `${config.temporaryCodes.delivery}; ${config.temporaryCodes.shownTtlMinutes} min shown, ${config.temporaryCodes.postedTtlDays} days sent`, standard: 'NIST §6.1.2.3: ≤ 10 min electronic, ≤ 7 days postal; ASVS 5.0 6.4.6', verdict: config.temporaryCodes.shownTtlMinutes <= 10 && config.temporaryCodes.postedTtlDays <= 7 ? 'satisfies' : 'departs' });
  if (config.webauthn.enabled) {
    const synced = config.webauthn.acceptBackupEligible ?? config.sca.profile === 'basic';
    add({ ref: 'G-14', rule: 'synced passkeys as an SCA possession element', value: synced ? 'accepted' : 'refused (user verification only)', standard: 'PSD2 RTS art. 7(2): possession elements must resist replication; NIST r4 AAL3: non-exportable', verdict: synced && config.sca.profile !== 'basic' ? 'departs' : 'satisfies', ...(synced && config.sca.profile !== 'basic' ? { note: 'GUICHET_WEBAUTHN_ACCEPT_BACKUP_ELIGIBLE=false' } : {}) });
  }
  add({ ref: 'G-12 / OIDC-12', rule: 'authorization code lifetime', value: `${config.ttl.authorizationCode} s`, standard: 'ASVS 5.0 10.4.3 L3 and FAPI 2.0: ≤ 60 s', verdict: 'satisfies' });
  add({ ref: 'G-11', rule: 'refresh token rotation', value: 'on', standard: 'ASVS 5.0 10.4.5', verdict: 'satisfies' });
  add({ ref: 'ASVS-33', rule: 'PKCE', value: 'S256 required for every client', standard: 'RFC 9700 §2.1.1; ASVS 5.0 10.2.2', verdict: 'satisfies' });
  return rules;
}

/** Problems that make the configuration unusable under its profile (also refused at start). */
export function policyProblems(config: Readonly<Config>): string[] {
  const resolved = resolvePolicy(config.sca.profile, { periodDays: config.sca.periodDays, idleSeconds: config.sca.idleSeconds, newDevice: config.sca.newDevice });
  return resolved.ok ? [] : resolved.problems;
}

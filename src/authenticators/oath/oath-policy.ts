import { GuichetError } from '../../errors/codes.js';
import type { Clock } from '../../lib/clock.js';
import type { FactorCredentialRepository } from '../../domain/ports.js';

/** The OATH verification windows; each bound cites the rule it comes from. */
export interface OathPolicy {
  /** TOTP steps accepted either side of now (RFC 6238 §5.2 recommends one; NIST 800-63B §5.1.4.2 bounds the lifetime). 0 … 5, default 1. */
  totpWindowSteps: number;
  /** HOTP codes accepted after the last one used: counters last+1 … last+lookAhead (RFC 4226 §7.4 "s"). 1 … 25, default 10. */
  hotpLookAhead: number;
  /** Counters searched for two consecutive codes when resynchronising (RFC 4226 §7.4). hotpLookAhead … 1000, default 100. */
  hotpResyncWindow: number;
}

export const DEFAULT_OATH_POLICY: Readonly<OathPolicy> = Object.freeze({ totpWindowSteps: 1, hotpLookAhead: 10, hotpResyncWindow: 100 });

export interface OathDependencies {
  factors: FactorCredentialRepository;
  clock: Clock;
  policy?: Partial<OathPolicy>;
}

function bounded(name: keyof OathPolicy, value: number, min: number, max: number): void {
  if (!Number.isSafeInteger(value) || value < min || value > max) throw new GuichetError('invalid_config', `oath.${name} must be an integer from ${min} to ${max}, got ${value}`);
}

/** Fills in the defaults and refuses values outside the bounds above (a fault at start, not a result). */
export function resolveOathPolicy(policy: Partial<OathPolicy> = {}): Readonly<OathPolicy> {
  const resolved = { ...DEFAULT_OATH_POLICY, ...policy };
  bounded('totpWindowSteps', resolved.totpWindowSteps, 0, 5);
  bounded('hotpLookAhead', resolved.hotpLookAhead, 1, 25);
  bounded('hotpResyncWindow', resolved.hotpResyncWindow, resolved.hotpLookAhead, 1000);
  return Object.freeze(resolved);
}

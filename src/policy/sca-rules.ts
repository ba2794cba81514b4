import type { Level } from './assurance.js';
import type { ScaPolicy } from '../config/profiles.js';
import { LEVEL_RANK, type Requirement } from './step-up.js';

/** Why SCA (or more) is asked now: each rule is a named check, logged and explained on the page. */
export type ScaReason = 'sca_period_elapsed' | 'new_device' | 'idle_after_sca' | 'client_minimum' | 'acr_values' | 'essential_acr' | 'sensitive_operation' | 'level_below_requested';

/** What Guichet knows about this account, device and session when a request comes in. */
export interface ScaFacts {
  /** When the account last completed SCA, if the store still remembers it (no key: SCA is due). */
  lastScaAt: Date | null;
  /** The device cookie names a device already seen with SCA for this account. */
  deviceKnown: boolean;
  /** The session's SCA is still within its idle limit (sliding key present). */
  scaStillActive: boolean;
}

export interface ScaDecision {
  level: Level;
  /** The rules ask for this level: never answer with less (as for an essential `acr`). */
  essential: boolean;
  reasons: ScaReason[];
}

/**
 * Pure: the level a request needs once the client's policy rules are applied to what the request
 * asks. The periodic and new-device rules raise any access to SCA; losing the store's memory can
 * only make this stricter (no record means SCA is due).
 */
export function decideSca(asked: Requirement, policy: ScaPolicy, facts: ScaFacts, now: Date): ScaDecision {
  let level: Level = LEVEL_RANK[policy.minimumLevel] > LEVEL_RANK[asked.level] ? policy.minimumLevel : asked.level;
  let essential = asked.essential || LEVEL_RANK[policy.minimumLevel] > LEVEL_RANK.simple;
  const reasons: ScaReason[] = [];
  if (asked.reason !== 'none') reasons.push(asked.reason);
  else if (LEVEL_RANK[policy.minimumLevel] > LEVEL_RANK.simple) reasons.push('client_minimum');
  const raiseToSca = (reason: ScaReason) => {
    reasons.push(reason);
    essential = true;
    if (LEVEL_RANK[level] < LEVEL_RANK.sca) level = 'sca';
  };
  if (policy.periodDays !== null) {
    const elapsed = facts.lastScaAt === null || now.getTime() - facts.lastScaAt.getTime() > policy.periodDays * 86_400_000;
    if (elapsed) raiseToSca('sca_period_elapsed');
  }
  if (policy.newDevice && !facts.deviceKnown) raiseToSca('new_device');
  return { level, essential, reasons };
}

/**
 * The level a session still holds for this request: an SCA past its idle limit counts only as a
 * simple login (PSD2 RTS art. 4(3)(d)), so an SCA-level request needs SCA again while a simple-level
 * one may still use the session.
 */
export function sessionLevel(reached: Level, facts: Pick<ScaFacts, 'scaStillActive'>): { level: Level; idleExpired: boolean } {
  if (LEVEL_RANK[reached] >= LEVEL_RANK.sca && !facts.scaStillActive) return { level: 'simple', idleExpired: true };
  return { level: reached, idleExpired: false };
}

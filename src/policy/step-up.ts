import type { Level } from './assurance.js';

export const LEVEL_RANK: Record<Level, number> = { none: 0, simple: 1, sca: 2, 'sca-phr': 3 };

export interface AcrNames {
  simple: string;
  sca: string;
  scaPhr: string;
}

export const acrOf = (level: Level, names: AcrNames): string => (level === 'sca-phr' ? names.scaPhr : level === 'sca' ? names.sca : names.simple);

export function levelOfAcr(acr: string, names: AcrNames): Level | undefined {
  if (acr === names.simple) return 'simple';
  if (acr === names.sca) return 'sca';
  if (acr === names.scaPhr) return 'sca-phr';
  return undefined;
}

export interface Requirement {
  level: Level;
  /** An essential `acr` claim: never answer with less (OIDC Core §5.5.1.1); else the best we can. */
  essential: boolean;
  /** Why more than a simple login is asked, for logs and the page. */
  reason: 'client_minimum' | 'acr_values' | 'essential_acr' | 'sensitive_operation' | 'none';
}

/**
 * The level an authorization request needs: the client's minimum, raised by `acr_values` (the
 * lowest level among those listed, since any one satisfies), by an essential `acr` claim, or by
 * `authorization_details` (RFC 9396): a payment or a sensitive operation needs SCA (RTS art. 4 and
 * 13), essentially, since it must never go ahead on less.
 */
export function requiredLevel(
  input: { acrValues?: string | undefined; essentialAcrs?: readonly string[] | undefined; clientMinimum: Level; authorizationDetails?: readonly { type: string }[] | null | undefined },
  names: AcrNames,
): Requirement {
  let requirement: Requirement = { level: input.clientMinimum, essential: LEVEL_RANK[input.clientMinimum] > LEVEL_RANK.simple, reason: LEVEL_RANK[input.clientMinimum] > LEVEL_RANK.simple ? 'client_minimum' : 'none' };
  const raise = (levels: (Level | undefined)[], essential: boolean, reason: Requirement['reason']) => {
    const known = levels.filter((l): l is Level => l !== undefined);
    if (known.length === 0) return;
    const lowest = known.reduce((a, b) => (LEVEL_RANK[a] <= LEVEL_RANK[b] ? a : b));
    if (LEVEL_RANK[lowest] > LEVEL_RANK[requirement.level]) requirement = { level: lowest, essential: essential || requirement.essential, reason };
    else if (essential) requirement = { ...requirement, essential: true };
  };
  raise((input.acrValues ?? '').split(' ').filter(Boolean).map((v) => levelOfAcr(v, names)), false, 'acr_values');
  if (input.essentialAcrs?.length) raise(input.essentialAcrs.map((v) => levelOfAcr(v, names)), true, 'essential_acr');
  if (input.authorizationDetails?.length) raise(['sca'], true, 'sensitive_operation');
  return requirement;
}

export const meets = (reached: Level, required: Level): boolean => LEVEL_RANK[reached] >= LEVEL_RANK[required];

import type { FactorClass } from '../authenticators/contract.js';

export type Level = 'none' | 'simple' | 'sca' | 'sca-phr';

export interface CompletedMethod {
  authenticator: string;
  factors: readonly FactorClass[];
  phishingResistant?: boolean;
}

/** The level reached is computed from the methods completed, never stored as a loose flag. */
export function levelOf(methods: readonly CompletedMethod[]): Level {
  if (methods.length === 0) return 'none';
  const classes = new Set(methods.flatMap((m) => m.factors));
  if (classes.size >= 2) return methods.some((m) => m.phishingResistant) ? 'sca-phr' : 'sca';
  return 'simple';
}

import type { FactorCredential } from '../domain/credential.js';
import { isBlocked } from '../authenticators/oath/oath-credential.js';
import { isoOrNull } from './output.js';

/**
 * What the CLI shows of a strong factor's credential: never its sealed data (an OATH seed, card
 * keys). Only an HOTP token's serial, printed on the token itself, is read from it.
 */
export function describeFactor(c: FactorCredential<unknown>, now: Date) {
  const data = c.data as { serial?: unknown } | null;
  const temporarilyUntil = !c.blockedAt && c.blockedUntil && c.blockedUntil > now ? c.blockedUntil : null;
  return {
    id: c.id,
    kind: c.kind,
    label: c.label,
    serial: c.kind === 'hotp' && typeof data?.serial === 'string' ? data.serial : null,
    createdAt: c.createdAt.toISOString(),
    lastUsedAt: isoOrNull(c.lastUsedAt),
    failedCount: c.failedCount,
    blocked: isBlocked(c, now),
    /** Blocked for good since then. */
    blockedAt: isoOrNull(c.blockedAt),
    /** Blocked for a while, until then. */
    blockedUntil: isoOrNull(temporarilyUntil),
  };
}

export type FactorView = ReturnType<typeof describeFactor>;

export function formatFactorBlock(f: FactorView): string {
  if (f.blockedAt) return `permanently since ${f.blockedAt}`;
  if (f.blockedUntil) return `temporarily until ${f.blockedUntil}`;
  return 'no';
}

import type { CertificateFailure } from './certificate-failure.js';
import type { ParsedCertificate } from './parse-certificate.js';
import type { TrustedCrl, TrustStore } from './trust-store.js';

/** The newest CRL already in force at `now` (a CRL dated in the future is not used). */
function currentCrl(crls: readonly TrustedCrl[], now: Date): TrustedCrl | null {
  let best: TrustedCrl | null = null;
  for (const c of crls) if (c.crl.thisUpdate <= now && (!best || c.crl.thisUpdate > best.crl.thisUpdate)) best = c;
  return best;
}

/**
 * RFC 5280 §6.3: each certificate of the path but the anchor is looked up in its issuer's CRL,
 * whose signature was checked at load (trust-store.ts). A CRL past its nextUpdate, or without one,
 * no longer says anything about revocations since: the check fails closed (`crl_stale`), as it does
 * for a CA without any CRL while `requireCrl` holds.
 */
export function checkRevocation(chain: readonly ParsedCertificate[], trust: TrustStore, now: Date, requireCrl: boolean): CertificateFailure | null {
  for (let i = 0; i + 1 < chain.length; i++) {
    const certificate = chain[i]!;
    const crls = trust.crlsFor(chain[i + 1]!.thumbprint);
    if (crls.length === 0) {
      if (requireCrl) return 'crl_stale';
      continue;
    }
    const current = currentCrl(crls, now);
    const nextUpdate = current?.crl.nextUpdate;
    if (!current || !nextUpdate || nextUpdate <= now) return 'crl_stale';
    if (current.crl.findRevoked(certificate.asn)) return 'revoked';
  }
  return null;
}

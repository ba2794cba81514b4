import type { CertificateFailure } from './certificate-failure.js';
import { buildChain } from './build-chain.js';
import { checkRevocation } from './check-revocation.js';
import { checkUsage } from './check-usage.js';
import { checkValidity } from './check-validity.js';
import { parseCertificate, type ParsedCertificate } from './parse-certificate.js';
import type { TrustStore } from './trust-store.js';

export type CertificateCheck =
  | { kind: 'valid'; certificate: ParsedCertificate; chain: ParsedCertificate[] }
  | { kind: 'invalid'; reason: CertificateFailure; certificate: ParsedCertificate | null };

/**
 * Whether a client certificate may be used at all (ASVS 5.0 12.1.3), before any account is looked
 * at. The order matters for the reason given: a certificate from elsewhere is `untrusted_issuer`
 * whatever its dates, so that nothing is said about certificates Guichet does not vouch for.
 */
export function validateCertificate(input: Uint8Array | string, trust: TrustStore, now: Date, options: { requireCrl: boolean }): CertificateCheck {
  const certificate = parseCertificate(input);
  if (!certificate) return { kind: 'invalid', reason: 'malformed', certificate: null };
  const chain = buildChain(certificate, trust);
  if (!chain) return { kind: 'invalid', reason: 'untrusted_issuer', certificate };
  const reason = checkValidity(chain, now) ?? checkUsage(chain) ?? checkRevocation(chain, trust, now, options.requireCrl);
  return reason ? { kind: 'invalid', reason, certificate } : { kind: 'valid', certificate, chain };
}

import type { CertificateFailure } from './certificate-failure.js';
import type { ParsedCertificate } from './parse-certificate.js';

/** RFC 5280 §4.1.2.5 and §6.1.3 (a)(2): every certificate of the path is within its validity at `now`. */
export function checkValidity(chain: readonly ParsedCertificate[], now: Date): CertificateFailure | null {
  for (const certificate of chain) {
    if (now < certificate.notBefore) return 'not_yet_valid';
    if (now > certificate.notAfter) return 'expired';
  }
  return null;
}

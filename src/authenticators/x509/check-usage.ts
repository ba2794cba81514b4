import type { CertificateFailure } from './certificate-failure.js';
import type { ParsedCertificate } from './parse-certificate.js';
import { BasicConstraintsExtension, ExtendedKeyUsage, ExtendedKeyUsageExtension, KeyUsageFlags, KeyUsagesExtension } from './peculiar.js';

const ANY_EXTENDED_KEY_USAGE = '2.5.29.37.0';

/**
 * The leaf must be made for TLS client authentication: keyUsage with digitalSignature (RFC 5280
 * §4.2.1.3), extendedKeyUsage with id-kp-clientAuth (§4.2.1.12), and not a CA certificate. A CA of
 * the path that restricts its extended key usage must allow clientAuth (as browsers and OpenSSL do).
 */
export function checkUsage(chain: readonly ParsedCertificate[]): CertificateFailure | null {
  const [leaf, ...cas] = chain;
  if (!leaf) return 'malformed';
  if (leaf.asn.getExtension(BasicConstraintsExtension)?.ca) return 'wrong_usage';
  const keyUsage = leaf.asn.getExtension(KeyUsagesExtension);
  if (!keyUsage || (keyUsage.usages & KeyUsageFlags.digitalSignature) === 0) return 'wrong_usage';
  const extended = leaf.asn.getExtension(ExtendedKeyUsageExtension);
  if (!extended || !extended.usages.map(String).includes(ExtendedKeyUsage.clientAuth)) return 'wrong_usage';
  for (const ca of cas) {
    const restricted = ca.asn.getExtension(ExtendedKeyUsageExtension)?.usages.map(String);
    if (restricted && !restricted.includes(ExtendedKeyUsage.clientAuth) && !restricted.includes(ANY_EXTENDED_KEY_USAGE)) return 'wrong_usage';
  }
  return null;
}

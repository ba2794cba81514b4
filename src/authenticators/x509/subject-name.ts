import type { ParsedCertificate } from './parse-certificate.js';
import { SubjectAlternativeNameExtension } from './peculiar.js';
import type { X509Settings } from './x509-settings.js';

/**
 * The name the `subject` mapping rule reads from a certificate the CA vouched for: the SAN
 * rfc822Name (RFC 5280 §4.2.1.6), the subject's emailAddress or its CN. Exactly one value, or null:
 * a certificate naming two people maps to nobody.
 */
export function subjectValueOf(certificate: ParsedCertificate, source: X509Settings['subjectRule']['source']): string | null {
  let values: string[];
  if (source === 'san-email') {
    const san = certificate.asn.getExtension(SubjectAlternativeNameExtension);
    values = san ? san.names.items.filter((n) => n.type === 'email').map((n) => n.value) : [];
  } else {
    values = certificate.asn.subjectName.getField(source === 'subject-email' ? 'E' : 'CN');
  }
  const distinct = [...new Set(values.map((v) => v.trim()).filter(Boolean))];
  return distinct.length === 1 ? distinct[0]! : null;
}

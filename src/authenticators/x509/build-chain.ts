import { isIssuedBy, type ParsedCertificate } from './parse-certificate.js';
import type { TrustStore } from './trust-store.js';

/** Longest path looked for (leaf, intermediates, anchor); bank PKIs have two or three levels. */
export const MAX_CHAIN_LENGTH = 6;

/**
 * A certification path from `leaf` to a configured anchor (RFC 5280 §6.1, simplified to what a
 * closed PKI needs): each certificate's issuer name, key identifier and signature are checked
 * against the next one; intermediates must be CA certificates. Leaf first, anchor last; null when
 * there is none.
 */
export function buildChain(leaf: ParsedCertificate, trust: TrustStore): ParsedCertificate[] | null {
  const path: ParsedCertificate[] = [leaf];
  for (;;) {
    const current = path[path.length - 1]!;
    const anchor = trust.anchors.find((a) => isIssuedBy(current, a));
    if (anchor) return [...path, anchor];
    if (path.length + 1 >= MAX_CHAIN_LENGTH) return null;
    const next = trust.intermediates.find((i) => i.node.ca && !path.some((p) => p.thumbprint === i.thumbprint) && isIssuedBy(current, i));
    if (!next) return null;
    path.push(next);
  }
}

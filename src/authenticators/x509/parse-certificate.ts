import { createHash, X509Certificate as NodeCertificate } from 'node:crypto';
import { X509Certificate as AsnCertificate } from './peculiar.js';
import { decodePemBlocks, isPem } from './pem.js';

/**
 * One certificate seen two ways: Node's (signature checks, issuer matching, as OpenSSL does them)
 * and @peculiar/x509's (extensions, names in RFC 4514 form, dates).
 */
export interface ParsedCertificate {
  der: Buffer;
  node: NodeCertificate;
  asn: AsnCertificate;
  /** SHA-256 of the DER, lower-case hex: the binding's lookup. */
  thumbprint: string;
  /** Upper-case hex, as Node and OpenSSL print it. */
  serial: string;
  subject: string;
  issuer: string;
  notBefore: Date;
  notAfter: Date;
}

/** Largest certificate accepted; client certificates are a few kilobytes. */
export const MAX_CERTIFICATE_BYTES = 16 * 1024;

export const sha256Hex = (der: Uint8Array): string => createHash('sha256').update(der).digest('hex');

/** DER or a PEM `CERTIFICATE` block; null when it is not one certificate (the `malformed` reason). */
export function parseCertificate(input: Uint8Array | string): ParsedCertificate | null {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : Buffer.from(input);
  if (bytes.length === 0 || bytes.length > MAX_CERTIFICATE_BYTES * 2) return null;
  let der: Buffer = bytes;
  if (isPem(bytes)) {
    const blocks = decodePemBlocks(bytes.toString('latin1'), ['CERTIFICATE']);
    if (blocks.length !== 1) return null;
    der = blocks[0]!;
  }
  if (der.length > MAX_CERTIFICATE_BYTES) return null;
  try {
    const node = new NodeCertificate(der);
    const asn = new AsnCertificate(new Uint8Array(der));
    // Node accepts trailing bytes after the certificate; the raw form must be exactly one.
    if (!node.raw.equals(der)) return null;
    return {
      der,
      node,
      asn,
      thumbprint: sha256Hex(der),
      serial: node.serialNumber.toUpperCase(),
      subject: asn.subject,
      issuer: asn.issuer,
      notBefore: asn.notBefore,
      notAfter: asn.notAfter,
    };
  } catch {
    return null;
  }
}

/** Every `CERTIFICATE` block of a PEM file; throws when one does not parse (a fault at start). */
export function parseCertificateFile(text: string, name: string): ParsedCertificate[] {
  const blocks = decodePemBlocks(text, ['CERTIFICATE']);
  if (blocks.length === 0) throw new Error(`${name}: no PEM CERTIFICATE block`);
  return blocks.map((der, i) => {
    const parsed = parseCertificate(der);
    if (!parsed) throw new Error(`${name}: certificate ${i + 1} does not parse`);
    return parsed;
  });
}

/** Whether `parent` issued `child`: names and key identifiers match (OpenSSL) and the signature verifies. */
export function isIssuedBy(child: ParsedCertificate, parent: ParsedCertificate): boolean {
  try {
    return child.node.checkIssued(parent.node) && child.node.verify(parent.node.publicKey);
  } catch {
    return false;
  }
}

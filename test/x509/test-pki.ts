import * as x509 from '../../src/authenticators/x509/peculiar.js';
import { encodePem } from '../../src/authenticators/x509/pem.js';

/**
 * A small PKI made in the test with @peculiar/x509 (ECDSA P-256): CAs, an intermediate, client and
 * server certificates, CRLs. Nothing is read from fixtures, so every case is visible in the test.
 */
const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 86_400_000;

export interface Issued {
  certificate: x509.X509Certificate;
  keys: CryptoKeyPair;
  der: Buffer;
  pem: string;
  /** PKCS #8 PEM of the private key, for a TLS client or server. */
  keyPem: string;
}

let serial = 0x1000;
const nextSerial = () => (serial++).toString(16).padStart(4, '0');

const newKeys = () => crypto.subtle.generateKey(ALG, true, ['sign', 'verify']) as Promise<CryptoKeyPair>;

async function issued(certificate: x509.X509Certificate, keys: CryptoKeyPair): Promise<Issued> {
  const der = Buffer.from(certificate.rawData);
  const pkcs8 = Buffer.from(await crypto.subtle.exportKey('pkcs8', keys.privateKey));
  return { certificate, keys, der, pem: encodePem(der), keyPem: encodePem(pkcs8, 'PRIVATE KEY') };
}

export async function createCa(name: string, now: Date, options: { issuer?: Issued; notAfter?: Date } = {}): Promise<Issued> {
  const keys = await newKeys();
  const extensions = [
    new x509.BasicConstraintsExtension(true, options.issuer ? 0 : undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
  ];
  const common = { serialNumber: nextSerial(), notBefore: new Date(now.getTime() - 365 * DAY), notAfter: options.notAfter ?? new Date(now.getTime() + 10 * 365 * DAY), signingAlgorithm: ALG };
  if (!options.issuer) return issued(await x509.X509CertificateGenerator.createSelfSigned({ ...common, name: `CN=${name}, O=Banque Test`, keys, extensions }), keys);
  const certificate = await x509.X509CertificateGenerator.create({
    ...common,
    subject: `CN=${name}, O=Banque Test`,
    issuer: options.issuer.certificate.subject,
    publicKey: keys.publicKey,
    signingKey: options.issuer.keys.privateKey,
    extensions: [...extensions, await x509.AuthorityKeyIdentifierExtension.create(options.issuer.certificate)],
  });
  return issued(certificate, keys);
}

export interface LeafOptions {
  issuer: Issued;
  cn: string;
  email?: string;
  notBefore?: Date;
  notAfter?: Date;
  /** Default clientAuth. */
  extendedUsages?: string[];
  keyUsage?: number;
  dnsNames?: string[];
}

export async function createLeaf(now: Date, options: LeafOptions): Promise<Issued> {
  const keys = await newKeys();
  const names: x509.JsonGeneralName[] = [...(options.email ? [{ type: 'email' as const, value: options.email }] : []), ...(options.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value }))];
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: nextSerial(),
    subject: `CN=${options.cn}, O=Entreprise Cliente`,
    issuer: options.issuer.certificate.subject,
    notBefore: options.notBefore ?? new Date(now.getTime() - DAY),
    notAfter: options.notAfter ?? new Date(now.getTime() + 365 * DAY),
    publicKey: keys.publicKey,
    signingKey: options.issuer.keys.privateKey,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(options.keyUsage ?? x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension(options.extendedUsages ?? [x509.ExtendedKeyUsage.clientAuth]),
      ...(names.length > 0 ? [new x509.SubjectAlternativeNameExtension(names)] : []),
      await x509.AuthorityKeyIdentifierExtension.create(options.issuer.certificate),
    ],
  });
  return issued(certificate, keys);
}

export const serverAuth = x509.ExtendedKeyUsage.serverAuth;

/** A CRL of `issuer` listing `revoked`; `signer` other than the issuer makes a forged one. */
export async function createCrl(issuer: Issued, options: { revoked?: Issued[]; thisUpdate: Date; nextUpdate?: Date; signer?: Issued }): Promise<{ pem: string; der: Buffer }> {
  const crl = await x509.X509CrlGenerator.create({
    issuer: issuer.certificate.subject,
    thisUpdate: options.thisUpdate,
    ...(options.nextUpdate ? { nextUpdate: options.nextUpdate } : {}),
    entries: (options.revoked ?? []).map((r) => ({ serialNumber: r.certificate.serialNumber, revocationDate: options.thisUpdate, reason: x509.X509CrlReason.keyCompromise })),
    signingKey: (options.signer ?? issuer).keys.privateKey,
    signingAlgorithm: ALG,
  });
  const der = Buffer.from(crl.rawData);
  return { der, pem: encodePem(der, 'X509 CRL') };
}

export { DAY };

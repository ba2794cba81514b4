import { readFile } from 'node:fs/promises';
import { GuichetError } from '../../errors/codes.js';
import { isIssuedBy, parseCertificateFile, type ParsedCertificate } from './parse-certificate.js';
import { X509Crl } from './peculiar.js';
import { decodePemBlocks, isPem } from './pem.js';
import type { X509Settings } from './x509-settings.js';

/** A CRL whose signature was checked against the CA named by `caThumbprint` when it was loaded. */
export interface TrustedCrl {
  caThumbprint: string;
  crl: X509Crl;
  source: string;
}

/**
 * What certificates are validated against: the anchors (trusted as configured), the intermediates
 * (trusted only through a path to an anchor) and the CRLs, each already bound to its issuing CA.
 */
export interface TrustStore {
  anchors: readonly ParsedCertificate[];
  intermediates: readonly ParsedCertificate[];
  crlsFor(caThumbprint: string): readonly TrustedCrl[];
}

export interface TrustMaterial {
  anchors: readonly { name: string; pem: string }[];
  intermediates?: readonly { name: string; pem: string }[];
  crls?: readonly { name: string; bytes: Uint8Array }[];
}

const fault = (message: string): GuichetError => new GuichetError('invalid_config', message, { issues: [message] });

function parseCrls(bytes: Uint8Array, name: string): X509Crl[] {
  const ders = isPem(bytes) ? decodePemBlocks(Buffer.from(bytes).toString('latin1'), ['X509 CRL', 'CRL']) : [Buffer.from(bytes)];
  if (ders.length === 0) throw fault(`${name}: no PEM X509 CRL block`);
  return ders.map((der, i) => {
    try {
      return new X509Crl(new Uint8Array(der));
    } catch {
      throw fault(`${name}: CRL ${i + 1} does not parse`);
    }
  });
}

/**
 * Builds the store; a CRL must be signed by one of the configured CAs (RFC 5280 §6.3.3 (f)), or
 * loading fails: a CRL nobody can vouch for would be ignored silently otherwise.
 */
export async function buildTrustStore(material: TrustMaterial): Promise<TrustStore> {
  const parse = (files: readonly { name: string; pem: string }[]) =>
    files.flatMap((f) => {
      try {
        return parseCertificateFile(f.pem, f.name);
      } catch (e) {
        throw fault((e as Error).message);
      }
    });
  const anchors = parse(material.anchors);
  const intermediates = parse(material.intermediates ?? []);
  for (const ca of intermediates) if (!ca.node.ca) throw fault(`intermediate ${ca.subject} is not a CA certificate (basicConstraints cA)`);
  const cas = [...anchors, ...intermediates];
  const crls = new Map<string, TrustedCrl[]>();
  for (const file of material.crls ?? []) {
    for (const crl of parseCrls(file.bytes, file.name)) {
      let signer: ParsedCertificate | undefined;
      for (const ca of cas) {
        if (ca.subject === crl.issuer && (await crl.verify({ publicKey: ca.asn }).catch(() => false))) {
          signer = ca;
          break;
        }
      }
      if (!signer) throw fault(`${file.name}: CRL of "${crl.issuer}" is not signed by any configured CA`);
      crls.set(signer.thumbprint, [...(crls.get(signer.thumbprint) ?? []), { caThumbprint: signer.thumbprint, crl, source: file.name }]);
    }
  }
  // An intermediate that chains to no anchor could never be used: a configuration mistake.
  for (const ca of intermediates) {
    if (!cas.some((parent) => parent !== ca && isIssuedBy(ca, parent))) throw fault(`intermediate ${ca.subject} is not issued by any configured CA`);
  }
  return {
    anchors: Object.freeze(anchors),
    intermediates: Object.freeze(intermediates),
    crlsFor: (caThumbprint) => crls.get(caThumbprint) ?? [],
  };
}

/** Reads the files named by the settings (PEM certificates; PEM or DER CRLs). */
export async function loadTrustStore(settings: Pick<X509Settings, 'caFiles' | 'intermediateFiles' | 'crlFiles'>): Promise<TrustStore> {
  const read = async (name: string) => {
    try {
      return await readFile(name);
    } catch (e) {
      throw fault(`${name}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
  };
  const pems = (names: readonly string[]) => Promise.all(names.map(async (name) => ({ name, pem: (await read(name)).toString('utf8') })));
  return buildTrustStore({
    anchors: await pems(settings.caFiles),
    intermediates: await pems(settings.intermediateFiles),
    crls: await Promise.all(settings.crlFiles.map(async (name) => ({ name, bytes: await read(name) }))),
  });
}

/** The store in use, replaced whole by `reload()` (new CRL files): a failed reload keeps the previous one. */
export interface TrustSource {
  current(): TrustStore;
  reload(): Promise<void>;
}

export async function createTrustSource(load: () => Promise<TrustStore>): Promise<TrustSource> {
  let store = await load();
  return {
    current: () => store,
    async reload() {
      store = await load();
    },
  };
}

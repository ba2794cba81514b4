import { beforeAll, describe, expect, test } from '@jest/globals';
import { buildTrustStore, createTrustSource, type TrustStore } from '../../src/authenticators/x509/trust-store.js';
import { validateCertificate } from '../../src/authenticators/x509/validate-certificate.js';
import { parseCertificate } from '../../src/authenticators/x509/parse-certificate.js';
import { subjectValueOf } from '../../src/authenticators/x509/subject-name.js';
import { createCa, createCrl, createLeaf, DAY, serverAuth, type Issued } from './test-pki.js';

const NOW = new Date('2031-05-04T10:00:00Z');
const pemFile = (name: string, ...issued: Issued[]) => ({ name, pem: issued.map((i) => i.pem).join('') });

describe('ASVS-41 client certificates are validated as trusted before use', () => {
  let root: Issued;
  let intermediate: Issued;
  let other: Issued;
  let valid: Issued;
  let viaIntermediate: Issued;
  let revoked: Issued;
  let revokedViaIntermediate: Issued;
  let trust: TrustStore;
  const check = (cert: Issued | Uint8Array | string, store = trust, at = NOW, requireCrl = true) =>
    validateCertificate(typeof cert === 'string' || cert instanceof Uint8Array ? cert : cert.der, store, at, { requireCrl });
  const reasonOf = (...args: Parameters<typeof check>) => {
    const result = check(...args);
    return result.kind === 'valid' ? 'valid' : result.reason;
  };

  beforeAll(async () => {
    root = await createCa('Banque Test Root CA', NOW);
    intermediate = await createCa('Banque Test Clients CA', NOW, { issuer: root });
    other = await createCa('Autre Banque CA', NOW);
    valid = await createLeaf(NOW, { issuer: root, cn: 'Alice Martin', email: 'alice@example.com' });
    viaIntermediate = await createLeaf(NOW, { issuer: intermediate, cn: 'Bruno Petit' });
    revoked = await createLeaf(NOW, { issuer: root, cn: 'Revoked Root Client' });
    revokedViaIntermediate = await createLeaf(NOW, { issuer: intermediate, cn: 'Revoked Intermediate Client' });
    const rootCrl = await createCrl(root, { revoked: [revoked], thisUpdate: new Date(NOW.getTime() - DAY), nextUpdate: new Date(NOW.getTime() + 7 * DAY) });
    const intermediateCrl = await createCrl(intermediate, { revoked: [revokedViaIntermediate], thisUpdate: new Date(NOW.getTime() - DAY), nextUpdate: new Date(NOW.getTime() + 7 * DAY) });
    trust = await buildTrustStore({
      anchors: [pemFile('root.pem', root)],
      intermediates: [pemFile('intermediate.pem', intermediate)],
      crls: [
        { name: 'root.crl', bytes: rootCrl.der },
        { name: 'intermediate.crl.pem', bytes: Buffer.from(intermediateCrl.pem) },
      ],
    });
  });

  test('a certificate issued by the configured CA, current, for clientAuth and not revoked is valid, in DER or PEM', () => {
    const result = check(valid);
    expect(result.kind).toBe('valid');
    if (result.kind !== 'valid') return;
    expect(result.chain.map((c) => c.subject)).toEqual([valid.certificate.subject, root.certificate.subject]);
    expect(result.certificate.thumbprint).toMatch(/^[0-9a-f]{64}$/);
    expect(check(valid.pem).kind).toBe('valid');
  });

  test('a path through a configured intermediate is built and checked, including the intermediate CA CRL', () => {
    const result = check(viaIntermediate);
    expect(result.kind === 'valid' && result.chain.map((c) => c.subject)).toEqual([viaIntermediate.certificate.subject, intermediate.certificate.subject, root.certificate.subject]);
    expect(reasonOf(revokedViaIntermediate)).toBe('revoked');
  });

  test('each failure has its reason: expired, not_yet_valid, untrusted_issuer, revoked, wrong_usage, malformed', async () => {
    const expired = await createLeaf(NOW, { issuer: root, cn: 'Expired', notBefore: new Date(NOW.getTime() - 400 * DAY), notAfter: new Date(NOW.getTime() - DAY) });
    const early = await createLeaf(NOW, { issuer: root, cn: 'Early', notBefore: new Date(NOW.getTime() + DAY) });
    const foreign = await createLeaf(NOW, { issuer: other, cn: 'Foreign' });
    const serverOnly = await createLeaf(NOW, { issuer: root, cn: 'Server Only', extendedUsages: [serverAuth] });
    const noSignatureUsage = await createLeaf(NOW, { issuer: root, cn: 'Key Encipherment', keyUsage: 0x20 });
    // Same issuer name as the root but another key: the signature, not the name, decides.
    const impostorCa = await createCa('Banque Test Root CA', NOW);
    const impostor = await createLeaf(NOW, { issuer: impostorCa, cn: 'Impostor' });
    expect(reasonOf(expired)).toBe('expired');
    expect(reasonOf(early)).toBe('not_yet_valid');
    expect(reasonOf(foreign)).toBe('untrusted_issuer');
    expect(reasonOf(impostor)).toBe('untrusted_issuer');
    expect(reasonOf(revoked)).toBe('revoked');
    expect(reasonOf(serverOnly)).toBe('wrong_usage');
    expect(reasonOf(noSignatureUsage)).toBe('wrong_usage');
    // The CA certificate itself is not a client certificate.
    expect(reasonOf(root)).toBe('wrong_usage');
    expect(reasonOf(Buffer.from('not a certificate'))).toBe('malformed');
    expect(reasonOf(Buffer.concat([valid.der, Buffer.from([0])]))).toBe('malformed');
    expect(reasonOf(valid.pem + valid.pem)).toBe('malformed');
    // The same certificates at other times, by the clock given.
    const withoutCrl = await buildTrustStore({ anchors: [pemFile('root.pem', root)] });
    expect(reasonOf(expired, withoutCrl, new Date(NOW.getTime() - 2 * DAY), false)).toBe('valid');
    expect(reasonOf(early, trust, new Date(NOW.getTime() + 2 * DAY))).toBe('valid');
  });

  test('a stale CRL fails closed (crl_stale), as does a CA without a CRL while CRLs are required', async () => {
    const afterNextUpdate = new Date(NOW.getTime() + 8 * DAY);
    expect(reasonOf(valid, trust, afterNextUpdate)).toBe('crl_stale');
    // A CRL dated in the future is not yet in force.
    const future = await createCrl(root, { thisUpdate: new Date(NOW.getTime() + 3_600_000), nextUpdate: new Date(NOW.getTime() + DAY) });
    expect(reasonOf(valid, await buildTrustStore({ anchors: [pemFile('root.pem', root)], crls: [{ name: 'future.crl', bytes: future.der }] }))).toBe('crl_stale');
    const noCrl = await buildTrustStore({ anchors: [pemFile('root.pem', root)] });
    expect(reasonOf(valid, noCrl)).toBe('crl_stale');
    expect(reasonOf(valid, noCrl, NOW, false)).toBe('valid');
    // A CRL without nextUpdate says nothing about how long it holds.
    const open = await createCrl(root, { thisUpdate: new Date(NOW.getTime() - DAY) });
    expect(reasonOf(valid, await buildTrustStore({ anchors: [pemFile('root.pem', root)], crls: [{ name: 'open.crl', bytes: open.der }] }))).toBe('crl_stale');
    // Of several CRLs of one CA, the newest in force counts.
    const newer = await createCrl(root, { thisUpdate: new Date(NOW.getTime() - 60_000), nextUpdate: new Date(NOW.getTime() + DAY), revoked: [valid] });
    const older = await createCrl(root, { thisUpdate: new Date(NOW.getTime() - 2 * DAY), nextUpdate: new Date(NOW.getTime() + DAY) });
    const both = await buildTrustStore({ anchors: [pemFile('root.pem', root)], crls: [{ name: 'newer.crl', bytes: newer.der }, { name: 'older.crl', bytes: older.der }] });
    expect(reasonOf(valid, both)).toBe('revoked');
  });

  test('a CRL not signed by a configured CA, or an intermediate chaining to none, is a configuration fault', async () => {
    const forged = await createCrl(root, { thisUpdate: NOW, nextUpdate: new Date(NOW.getTime() + DAY), signer: other });
    await expect(buildTrustStore({ anchors: [pemFile('root.pem', root)], crls: [{ name: 'forged.crl', bytes: forged.der }] })).rejects.toMatchObject({ code: 'invalid_config', message: expect.stringContaining('forged.crl') });
    const stray = await createCa('Stray Intermediate', NOW, { issuer: other });
    await expect(buildTrustStore({ anchors: [pemFile('root.pem', root)], intermediates: [pemFile('stray.pem', stray)] })).rejects.toMatchObject({ code: 'invalid_config' });
    await expect(buildTrustStore({ anchors: [{ name: 'empty.pem', pem: 'nothing here' }] })).rejects.toMatchObject({ code: 'invalid_config', message: expect.stringContaining('empty.pem') });
  });

  test('a reload of the trust source picks up a new CRL; the previous store stays until it succeeds', async () => {
    let crl = await createCrl(root, { thisUpdate: new Date(NOW.getTime() - DAY), nextUpdate: new Date(NOW.getTime() + DAY) });
    const source = await createTrustSource(() => buildTrustStore({ anchors: [pemFile('root.pem', root)], crls: [{ name: 'root.crl', bytes: crl.der }] }));
    expect(reasonOf(valid, source.current())).toBe('valid');
    crl = await createCrl(root, { thisUpdate: new Date(NOW.getTime() - 60_000), nextUpdate: new Date(NOW.getTime() + DAY), revoked: [valid] });
    await source.reload();
    expect(reasonOf(valid, source.current())).toBe('revoked');
    crl = { der: Buffer.from('garbage'), pem: '' };
    await expect(source.reload()).rejects.toMatchObject({ code: 'invalid_config' });
    expect(reasonOf(valid, source.current())).toBe('revoked');
  });

  test('the subject rule reads exactly one SAN e-mail, subject e-mail or CN', () => {
    const parsed = parseCertificate(valid.der)!;
    expect(subjectValueOf(parsed, 'san-email')).toBe('alice@example.com');
    expect(subjectValueOf(parsed, 'subject-cn')).toBe('Alice Martin');
    expect(subjectValueOf(parsed, 'subject-email')).toBeNull();
    expect(parsed.serial).toBe(valid.certificate.serialNumber.toUpperCase());
  });
});

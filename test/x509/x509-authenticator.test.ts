import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { loadConfig } from '../../src/config/load.js';
import { createCoreContainer, type Container } from '../../src/container.js';
import { ManualClock } from '../../src/lib/clock.js';
import type { Account } from '../../src/domain/account.js';
import type { AuthContext } from '../../src/authenticators/contract.js';
import { buildTrustStore, createTrustSource, type TrustSource } from '../../src/authenticators/x509/trust-store.js';
import { createX509Authenticator } from '../../src/authenticators/x509/x509-authenticator.js';
import { createX509Enrolment } from '../../src/authenticators/x509/enrolment.js';
import { resolveX509Settings } from '../../src/authenticators/x509/x509-settings.js';
import { createCa, createCrl, createLeaf, DAY, type Issued } from './test-pki.js';
import { createTestDatabase, testRedisPrefix, TEST_REDIS_URL } from '../helpers/services.js';

const START = new Date('2031-05-04T10:00:00Z');

describe('ASVS-41 the X.509 factor against Postgres', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let container: Container;
  const clock = new ManualClock(START);
  let ca: Issued;
  let revokedCert: Issued;
  let trust: TrustSource;

  beforeAll(async () => {
    database = await createTestDatabase();
    container = await createCoreContainer(loadConfig({}, { databaseUrl: database.url, redisUrl: TEST_REDIS_URL, redisPrefix: testRedisPrefix(), logLevel: 'silent' }), { clock });
    ca = await createCa('Banque Test CA', START);
    revokedCert = await createLeaf(START, { issuer: ca, cn: 'Revoked' });
    const crl = await createCrl(ca, { revoked: [revokedCert], thisUpdate: new Date(START.getTime() - DAY), nextUpdate: new Date(START.getTime() + 30 * DAY) });
    trust = await createTrustSource(() => buildTrustStore({ anchors: [{ name: 'ca.pem', pem: ca.pem }], crls: [{ name: 'ca.crl', bytes: crl.der }] }));
  });
  afterAll(async () => {
    await container?.close();
    await database?.drop();
  });

  const depsWith = (overrides: Parameters<typeof resolveX509Settings>[0] = {}) => ({ factors: container.repos.factors, clock, trust, settings: resolveX509Settings(overrides) });
  const newAccount = (email?: string) => container.repos.accounts.create({ username: `u-${randomBytes(5).toString('hex')}`, status: 'active', ...(email ? { email } : {}) });
  const contextFor = (account: Account | null): AuthContext => ({ flowId: 'flow', account, now: clock.now(), ip: '127.0.0.1', userAgent: 'jest' });
  const leaf = (cn: string, extra: Partial<Parameters<typeof createLeaf>[1]> = {}) => createLeaf(clock.now(), { issuer: ca, cn, ...extra });

  test('an administrator binds a valid certificate once; an invalid one is refused with its reason', async () => {
    const enrolment = createX509Enrolment(depsWith());
    const account = await newAccount();
    const cert = await leaf('Alice Martin');
    const outcome = await enrolment.enrolCertificate(account.id, cert.pem, { label: 'clé USB' });
    expect(outcome).toMatchObject({ kind: 'enrolled', credential: { label: 'clé USB', subject: cert.certificate.subject, issuer: ca.certificate.subject, serial: cert.certificate.serialNumber.toUpperCase(), notAfter: cert.certificate.notAfter.toISOString() } });
    // Sealed at rest: the subject (personal data) is not readable in the row; the lookup is the thumbprint.
    const row = await container.db('credentials').where({ account_id: account.id, kind: 'x509' }).first();
    expect(row.lookup).toBe(outcome.kind === 'enrolled' ? outcome.credential.thumbprint : null);
    expect(JSON.stringify(row)).not.toContain('Alice Martin');
    expect(await enrolment.enrolCertificate((await newAccount()).id, cert.der)).toMatchObject({ kind: 'refused', reason: 'already_enrolled' });
    const expired = await leaf('Expired', { notBefore: new Date(START.getTime() - 10 * DAY), notAfter: new Date(START.getTime() - DAY) });
    expect(await enrolment.enrolCertificate(account.id, expired.der)).toMatchObject({ kind: 'refused', reason: 'expired' });
    expect(await enrolment.enrolCertificate(account.id, revokedCert.der)).toMatchObject({ kind: 'refused', reason: 'revoked' });
    expect(await enrolment.listCertificates(account.id)).toEqual([expect.objectContaining({ label: 'clé USB' })]);
  });

  test('a bound certificate opens its account with sc+pin+mfa on a PIN token; commit records the use; the reasons of refusal are kept', async () => {
    const x509 = createX509Authenticator(depsWith({ pinProtected: true }));
    expect(x509.factors).toEqual(['possession', 'knowledge']);
    expect(createX509Authenticator(depsWith()).amr).toEqual(['pop']);
    const enrolment = createX509Enrolment(depsWith());
    const account = await newAccount();
    const cert = await leaf('Claire Dubois');
    const enrolled = await enrolment.enrolCertificate(account.id, cert.der);
    if (enrolled.kind !== 'enrolled') throw new Error('enrolment failed');
    expect(await x509.isEnrolled(contextFor(account))).toBe(true);
    expect(await x509.isEnrolled(contextFor(await newAccount()))).toBe(false);

    const outcome = await x509.verify(contextFor(null), { certificateDer: cert.der }, undefined);
    expect(outcome).toEqual({ kind: 'verified', accountId: account.id, evidence: expect.objectContaining({ credentialId: enrolled.credential.id, via: 'binding', amr: ['sc', 'pin', 'mfa'], thumbprint: enrolled.credential.thumbprint }) });
    if (outcome.kind !== 'verified') return;
    await x509.commit(contextFor(null), outcome.evidence);
    expect((await container.repos.factors.findById(enrolled.credential.id))?.lastUsedAt).toEqual(clock.now());
    // The same account named first is fine; another account is not.
    expect((await x509.verify(contextFor(account), { certificateDer: cert.der }, undefined)).kind).toBe('verified');
    expect(await x509.verify(contextFor(await newAccount()), { certificateDer: cert.der }, undefined)).toMatchObject({ kind: 'rejected', detail: 'other_account', reason: 'no_credential' });

    const unbound = await leaf('Nobody');
    expect(await x509.verify(contextFor(null), { certificateDer: unbound.der }, undefined)).toMatchObject({ kind: 'rejected', detail: 'unbound', reason: 'no_credential' });
    expect(await x509.verify(contextFor(null), { certificateDer: revokedCert.der }, undefined)).toMatchObject({ kind: 'rejected', detail: 'revoked', reason: 'credential_blocked' });
    expect(await x509.verify(contextFor(null), { certificateDer: Buffer.from('junk') }, undefined)).toEqual({ kind: 'rejected', detail: 'malformed', reason: 'wrong_secret' });

    await container.db('credentials').where({ id: enrolled.credential.id }).update({ blocked_at: clock.now() });
    expect(await x509.verify(contextFor(null), { certificateDer: cert.der }, undefined)).toMatchObject({ kind: 'rejected', detail: 'credential_blocked' });

    // Revoked by the bank: the binding is gone, so the certificate opens nothing.
    const other = await newAccount();
    const second = await leaf('Second Token');
    const bound = await enrolment.enrolCertificate(other.id, second.der);
    if (bound.kind !== 'enrolled') throw new Error('enrolment failed');
    expect(await enrolment.revokeCertificate(account.id, bound.credential.id)).toBe(false);
    expect(await enrolment.revokeCertificate(other.id, bound.credential.id)).toBe(true);
    expect(await x509.verify(contextFor(null), { certificateDer: second.der }, undefined)).toMatchObject({ kind: 'rejected', detail: 'unbound' });
  });

  test('a bound certificate past its expiry is refused as expired, and a stale CRL refuses every certificate (fail closed)', async () => {
    const local = new ManualClock(START);
    const account = await newAccount();
    const cert = await leaf('Short Lived', { notAfter: new Date(START.getTime() + 2 * DAY) });
    const deps = { ...depsWith(), clock: local };
    expect((await createX509Enrolment(deps).enrolCertificate(account.id, cert.der)).kind).toBe('enrolled');
    const x509 = createX509Authenticator(deps);
    expect((await x509.verify(contextFor(null), { certificateDer: cert.der }, undefined)).kind).toBe('verified');
    local.advance(3 * DAY);
    expect(await x509.verify(contextFor(null), { certificateDer: cert.der }, undefined)).toMatchObject({ detail: 'expired' });
    const longer = await leaf('Long Lived', { notAfter: new Date(START.getTime() + 400 * DAY) });
    local.advance(30 * DAY);
    expect(await x509.verify(contextFor(null), { certificateDer: longer.der }, undefined)).toMatchObject({ detail: 'crl_stale' });
  });

  test('the subject rule maps the SAN e-mail to the one account with that address, and the CN to a username, and nothing when the rule is ambiguous', async () => {
    const email = `p-${randomBytes(4).toString('hex')}@example.com`;
    const account = await newAccount(email);
    const x509 = createX509Authenticator({
      ...depsWith({ mapping: 'subject', subjectRule: { source: 'san-email', attribute: 'email' } }),
      findAccountsBy: (attribute, value) => (attribute === 'email' ? container.repos.accounts.findByEmail(value) : Promise.resolve([])),
    });
    const cert = await leaf('Pauline', { email });
    expect(await x509.verify(contextFor(null), { certificateDer: cert.der }, undefined)).toEqual({ kind: 'verified', accountId: account.id, evidence: expect.objectContaining({ via: 'subject', credentialId: null }) });
    expect(await x509.isEnrolled(contextFor(null))).toBe(true);
    const noEmail = await leaf('No Email');
    expect(await x509.verify(contextFor(null), { certificateDer: noEmail.der }, undefined)).toMatchObject({ detail: 'unbound' });
    // A finder that answers two accounts (a bank's rule on a non-unique attribute) maps to nobody.
    const twice = createX509Authenticator({ ...depsWith({ mapping: 'subject' }), findAccountsBy: async () => [account, await newAccount()] });
    expect(await twice.verify(contextFor(null), { certificateDer: cert.der }, undefined)).toMatchObject({ detail: 'unbound' });
    // The CN rule against usernames.
    const byCn = createX509Authenticator({
      ...depsWith({ mapping: 'subject', subjectRule: { source: 'subject-cn', attribute: 'username' } }),
      findAccountsBy: async (attribute, value) => {
        const found = attribute === 'username' ? await container.repos.accounts.findByIdentifier({ scheme: 'username', username: value }) : null;
        return found ? [found] : [];
      },
    });
    const named = await leaf(account.username!);
    expect(await byCn.verify(contextFor(null), { certificateDer: named.der }, undefined)).toMatchObject({ kind: 'verified', accountId: account.id });
    expect(() => createX509Authenticator(depsWith({ mapping: 'subject' }))).toThrow('findAccountsBy');
  });

  test('a user binds their own certificate only within five minutes of an SCA', async () => {
    const enrolment = createX509Enrolment(depsWith());
    const account = await newAccount();
    const cert = await leaf('Self Service');
    expect(await enrolment.enrolOwnCertificate(account.id, cert.der, { lastScaAt: null })).toEqual({ kind: 'refused', reason: 'sca_required' });
    expect(await enrolment.enrolOwnCertificate(account.id, cert.der, { lastScaAt: new Date(clock.now().getTime() - 6 * 60_000) })).toEqual({ kind: 'refused', reason: 'sca_required' });
    expect(await enrolment.listCertificates(account.id)).toEqual([]);
    expect(await enrolment.enrolOwnCertificate(account.id, cert.der, { lastScaAt: new Date(clock.now().getTime() - 60_000) })).toMatchObject({ kind: 'enrolled', credential: { label: 'Self Service' } });
  });

  test('settings: enabled without a CA, or a TLS port without its key, are faults at start', () => {
    expect(() => resolveX509Settings({ enabled: true })).toThrow('caFiles');
    expect(() => resolveX509Settings({ tls: { port: 8443 } })).toThrow('keyFile');
    expect(() => loadConfig({ GUICHET_X509_TRUSTED_PROXIES: '10.0.0.1,not-an-ip' })).toThrow('GUICHET_X509_TRUSTED_PROXIES');
    const config = loadConfig({ GUICHET_X509_ENABLED: 'true', GUICHET_X509_CA_FILES: '/etc/guichet/ca.pem, /etc/guichet/ca2.pem', GUICHET_X509_TRUSTED_PROXIES: '10.0.0.0/8,::1', GUICHET_X509_PIN_PROTECTED: 'yes' });
    expect(config.x509).toMatchObject({ enabled: true, caFiles: ['/etc/guichet/ca.pem', '/etc/guichet/ca2.pem'], trustedProxies: ['10.0.0.0/8', '::1'], pinProtected: true, mapping: 'binding', requireCrl: true, tls: { port: 0 } });
  });
});

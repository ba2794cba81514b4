import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { createServer as createHttpServer, request as httpRequest, type IncomingMessage, type RequestListener, type Server as HttpServer } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Server as HttpsServer } from 'node:https';
import { loadConfig } from '../../src/config/load.js';
import { createCoreContainer, type Container } from '../../src/container.js';
import { ManualClock } from '../../src/lib/clock.js';
import { buildTrustStore, createTrustSource, type TrustSource } from '../../src/authenticators/x509/trust-store.js';
import { createX509Authenticator } from '../../src/authenticators/x509/x509-authenticator.js';
import { createX509Enrolment } from '../../src/authenticators/x509/enrolment.js';
import { resolveX509Settings } from '../../src/authenticators/x509/x509-settings.js';
import { createClientCertificateServer, readListenerCredentials } from '../../src/authenticators/x509/tls-listener.js';
import { createClientCertificateSource } from '../../src/authenticators/x509/client-certificate-source.js';
import { x509DataOf } from '../../src/authenticators/x509/x509-credential.js';
import { parseCertificate } from '../../src/authenticators/x509/parse-certificate.js';
import { createProxyMatcher, formatClientCertHeader, parseClientCertHeader } from '../../src/authenticators/x509/client-cert-header.js';
import { createCa, createCrl, createLeaf, DAY, serverAuth, type Issued } from './test-pki.js';
import { createTestDatabase, testRedisPrefix, TEST_REDIS_URL } from '../helpers/services.js';

const NOW = new Date();

describe('ASVS-41 client certificates through the TLS listener and the Client-Cert header', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let container: Container;
  const clock = new ManualClock(NOW);
  let ca: Issued;
  let otherCa: Issued;
  let server: Issued;
  let bound: Issued;
  let expired: Issued;
  let revoked: Issued;
  let unbound: Issued;
  let foreign: Issued;
  let accountId: string;
  let trust: TrustSource;
  const servers: (HttpServer | HttpsServer)[] = [];
  let scratch: string;

  /** The tiny application both transports serve: the certificate source, then the validator. */
  const handlerFor =
    (trustedProxies: string[]): RequestListener =>
    (req, res) => {
      const source = createClientCertificateSource({ settings: { trustedProxies }, audit: container.repos.audit });
      const x509 = createX509Authenticator({ factors: container.repos.factors, clock, trust, settings: resolveX509Settings() });
      void (async () => {
        const presented = await source.certificateOf(req);
        let body: Record<string, unknown>;
        if (presented.kind === 'absent') body = { outcome: 'no_certificate' };
        else {
          const outcome = await x509.verify({ account: null, flowId: 'f', now: clock.now(), ip: '', userAgent: '' }, { certificateDer: presented.kind === 'present' ? presented.der : new Uint8Array() }, undefined);
          body = outcome.kind === 'verified' ? { outcome: 'verified', accountId: outcome.accountId, via: presented.kind === 'present' ? presented.via : null } : { outcome: 'rejected', reason: outcome.detail };
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      })();
    };

  const listen = async <S extends HttpServer | HttpsServer>(s: S): Promise<number> => {
    servers.push(s);
    await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
    return (s.address() as AddressInfo).port;
  };

  const read = (res: IncomingMessage): Promise<Record<string, unknown>> =>
    new Promise((resolve, reject) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve(JSON.parse(text) as Record<string, unknown>));
      res.on('error', reject);
    });

  /** A real TLS client presenting `client` (or nothing). */
  const overTls = (port: number, client: Issued | null, headers: Record<string, string> = {}) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const req = httpsRequest({ host: '127.0.0.1', port, servername: 'localhost', ca: ca.pem, path: '/', agent: false, headers, ...(client ? { key: client.keyPem, cert: client.pem } : {}) }, (res) => void read(res).then(resolve, reject));
      req.on('error', reject);
      req.end();
    });

  const overHttp = (port: number, headers: Record<string, string>, localAddress = '127.0.0.1') =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, path: '/', agent: false, headers, localAddress }, (res) => void read(res).then(resolve, reject));
      req.on('error', reject);
      req.end();
    });

  beforeAll(async () => {
    database = await createTestDatabase();
    container = await createCoreContainer(loadConfig({}, { databaseUrl: database.url, redisUrl: TEST_REDIS_URL, redisPrefix: testRedisPrefix(), logLevel: 'silent' }), { clock });
    ca = await createCa('Banque Test CA', NOW);
    otherCa = await createCa('Autre CA', NOW);
    server = await createLeaf(NOW, { issuer: ca, cn: 'localhost', dnsNames: ['localhost'], extendedUsages: [serverAuth] });
    bound = await createLeaf(NOW, { issuer: ca, cn: 'Alice Token' });
    expired = await createLeaf(NOW, { issuer: ca, cn: 'Old Token', notBefore: new Date(NOW.getTime() - 30 * DAY), notAfter: new Date(NOW.getTime() - DAY) });
    revoked = await createLeaf(NOW, { issuer: ca, cn: 'Lost Token' });
    unbound = await createLeaf(NOW, { issuer: ca, cn: 'Nobody Token' });
    foreign = await createLeaf(NOW, { issuer: otherCa, cn: 'Foreign Token' });
    const crl = await createCrl(ca, { revoked: [revoked], thisUpdate: new Date(NOW.getTime() - DAY), nextUpdate: new Date(NOW.getTime() + 7 * DAY) });
    trust = await createTrustSource(() => buildTrustStore({ anchors: [{ name: 'ca.pem', pem: ca.pem }], crls: [{ name: 'ca.crl', bytes: crl.der }] }));
    const account = await container.repos.accounts.create({ username: `tls-${randomBytes(4).toString('hex')}`, status: 'active' });
    accountId = account.id;
    const enrolment = createX509Enrolment({ factors: container.repos.factors, clock, trust, settings: resolveX509Settings() });
    for (const cert of [bound, expired, revoked]) {
      // Expired and revoked ones are bound as they were when still good, straight through the repository.
      const outcome = await enrolment.enrolCertificate(account.id, cert.der);
      if (outcome.kind !== 'enrolled') {
        const parsed = parseCertificate(cert.der)!;
        await container.repos.factors.create({ accountId: account.id, kind: 'x509', data: x509DataOf(parsed), lookup: parsed.thumbprint });
      }
    }
  });

  afterAll(async () => {
    for (const s of servers) {
      s.closeAllConnections();
      await new Promise((resolve) => s.close(resolve));
    }
    await container?.close();
    await database?.drop();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  test('ASVS-41 mutual TLS: a real TLS client with a bound certificate is verified; expired, revoked, unbound and foreign ones are refused with their reason', async () => {
    // The listener as the composition root builds it: its files named by the settings.
    scratch = await mkdtemp(join(tmpdir(), 'guichet-x509-tls-'));
    const file = async (name: string, content: string) => {
      await writeFile(join(scratch, name), content);
      return join(scratch, name);
    };
    const settings = resolveX509Settings({ caFiles: [await file('ca.pem', ca.pem)], tls: { port: 8443, keyFile: await file('server.key', server.keyPem), certFile: await file('server.pem', server.pem) } });
    const port = await listen(createClientCertificateServer({ ...(await readListenerCredentials(settings)), handler: handlerFor([]) }));
    expect(await overTls(port, bound)).toEqual({ outcome: 'verified', accountId, via: 'tls' });
    expect(await overTls(port, expired)).toEqual({ outcome: 'rejected', reason: 'expired' });
    expect(await overTls(port, revoked)).toEqual({ outcome: 'rejected', reason: 'revoked' });
    expect(await overTls(port, unbound)).toEqual({ outcome: 'rejected', reason: 'unbound' });
    // The handshake completes even for a certificate of another CA: the page says why.
    expect(await overTls(port, foreign)).toEqual({ outcome: 'rejected', reason: 'untrusted_issuer' });
    expect(await overTls(port, null)).toEqual({ outcome: 'no_certificate' });
  });

  test('ASVS-41 a forged Client-Cert header from an untrusted address is ignored and audited as forged', async () => {
    const header = { 'client-cert': formatClientCertHeader(bound.der), 'user-agent': 'forger/1.0' };
    const untrusted = await listen(createHttpServer(handlerFor([])));
    expect(await overHttp(untrusted, header)).toEqual({ outcome: 'no_certificate' });
    const otherProxy = await listen(createHttpServer(handlerFor(['10.1.2.3', '::1'])));
    expect(await overHttp(otherProxy, header)).toEqual({ outcome: 'no_certificate' });
    // On the TLS listener too: without a certificate of its own, the header of an untrusted peer counts for nothing.
    const tls = await listen(createClientCertificateServer({ key: server.keyPem, cert: server.pem, ca: [ca.pem], handler: handlerFor([]) }));
    expect(await overTls(tls, null, header)).toEqual({ outcome: 'no_certificate' });
    const events = await container.repos.audit.list({ action: 'x509.client_cert_header' });
    expect(events).toHaveLength(3);
    for (const e of events) expect(e).toMatchObject({ result: 'failure', reason: 'forged', ip: '127.0.0.1', userAgent: 'forger/1.0' });
    expect(JSON.stringify(events)).not.toContain(header['client-cert'].slice(1, 40));
  });

  test('the Client-Cert header of a configured proxy is honoured, and its certificate validated like any other', async () => {
    const port = await listen(createHttpServer(handlerFor(['127.0.0.0/8'])));
    expect(await overHttp(port, { 'client-cert': formatClientCertHeader(bound.der) })).toEqual({ outcome: 'verified', accountId, via: 'header' });
    expect(await overHttp(port, { 'client-cert': formatClientCertHeader(revoked.der) })).toEqual({ outcome: 'rejected', reason: 'revoked' });
    expect(await overHttp(port, { 'client-cert': bound.der.toString('base64') })).toEqual({ outcome: 'rejected', reason: 'malformed' });
    expect(await overHttp(port, {})).toEqual({ outcome: 'no_certificate' });
  });

  test('Client-Cert parsing (RFC 8941 byte sequence) and proxy matching (addresses, subnets, IPv4-mapped IPv6)', () => {
    expect(parseClientCertHeader(`:${bound.der.toString('base64')}:`)).toEqual(bound.der);
    expect(parseClientCertHeader(` :${bound.der.toString('base64')}: `)).toEqual(bound.der);
    for (const bad of ['', '::', bound.der.toString('base64'), `:${bound.der.toString('base64')}`, `:${bound.der.toString('base64url')}:x`, ':a b:', `:${bound.der.toString('base64')}:, :AA==:`]) expect(parseClientCertHeader(bad)).toBeNull();
    const matcher = createProxyMatcher(['10.0.0.0/8', '192.0.2.7', 'fd00::/8']);
    expect(matcher('10.200.1.1')).toBe(true);
    expect(matcher('::ffff:10.0.0.1')).toBe(true);
    expect(matcher('192.0.2.7')).toBe(true);
    expect(matcher('192.0.2.8')).toBe(false);
    expect(matcher('fd12::1')).toBe(true);
    expect(matcher('fe80::1')).toBe(false);
    expect(matcher(undefined)).toBe(false);
    expect(createProxyMatcher([])('127.0.0.1')).toBe(false);
  });
});

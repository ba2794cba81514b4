import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, fetch as undiciFetch, type Dispatcher } from 'undici';
import { CookieJar, type Page } from './browserless.js';
import { createCa, createCrl, createLeaf, DAY, serverAuth, type Issued } from '../x509/test-pki.js';

/**
 * The browserless client of test/helpers/browserless.ts across Guichet's two origins: the main one
 * (plain HTTP in the tests) and the client-certificate listener (`https://localhost:<port>`), where
 * it presents `certificate` (or none) in a real TLS handshake. Cookies are kept per host, as a
 * browser does: the interaction cookies set by the main origin reach the listener's port.
 */
export class CertificateBrowser {
  readonly jar = new CookieJar();
  private readonly tls: Dispatcher;
  private readonly plain: Dispatcher;
  constructor(
    readonly origins: { main: string; certificate?: string | undefined },
    options: { ca: string; certificate?: Issued | null; localAddress?: string; headers?: Record<string, string> },
  ) {
    this.tls = new Agent({ connect: { ca: options.ca, ...(options.certificate ? { key: options.certificate.keyPem, cert: options.certificate.pem } : {}) } });
    const { localAddress } = options;
    // From a chosen loopback address (the trusted proxy's): undici's own connector does not take one.
    this.plain = localAddress
      ? new Agent({
          connect: (opts, callback) => {
            const socket = connect({ host: opts.hostname, port: Number(opts.port), localAddress });
            socket.once('connect', () => callback(null, socket));
            socket.once('error', (e) => callback(e, null));
          },
        })
      : new Agent();
    this.headers = options.headers ?? {};
  }
  private readonly headers: Record<string, string>;

  private known(url: string): boolean {
    const origin = new URL(url).origin;
    return origin === new URL(this.origins.main).origin || (this.origins.certificate !== undefined && origin === new URL(this.origins.certificate).origin);
  }

  async request(url: string, init: { form?: Record<string, string>; headers?: Record<string, string> } = {}) {
    const absolute = new URL(url, this.origins.main);
    const body = init.form ? new URLSearchParams(init.form).toString() : undefined;
    const response = await undiciFetch(absolute.href, {
      method: body !== undefined ? 'POST' : 'GET',
      redirect: 'manual',
      dispatcher: absolute.protocol === 'https:' ? this.tls : this.plain,
      headers: { ...this.headers, ...init.headers, cookie: this.jar.header(), ...(body !== undefined ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
      body,
    });
    this.jar.store(response as unknown as Response);
    return response;
  }

  /** Follows redirects between Guichet's two origins; stops at the first one leaving them (the relying party's callback). */
  async follow(url: string, init: { form?: Record<string, string>; headers?: Record<string, string> } = {}): Promise<Page> {
    let current = new URL(url, this.origins.main).href;
    let response = await this.request(current, init);
    for (let hops = 0; hops < 20 && response.status >= 300 && response.status < 400; hops++) {
      const location = new URL(response.headers.get('location')!, current).href;
      if (!this.known(location)) return { status: response.status, url: location, body: await response.text(), headers: response.headers as unknown as Headers };
      current = location;
      response = await this.request(location);
    }
    return { status: response.status, url: current, body: await response.text(), headers: response.headers as unknown as Headers };
  }

  async close(): Promise<void> {
    await Promise.all([this.tls.close(), this.plain.close()]);
  }
}

/** The link a page offers with `data-action="certificate"`. */
export const certificateLinkOf = (body: string): string => {
  const match = /<a href="([^"]+)" data-action="certificate">/.exec(body);
  if (!match) throw new Error(`no certificate link in:\n${body.slice(0, 2000)}`);
  return match[1]!.replace(/&amp;/g, '&');
};

export interface TestPki {
  ca: Issued;
  otherCa: Issued;
  server: Issued;
  /** A client certificate that is good, for the test to bind. */
  good: (cn: string) => Promise<Issued>;
  expired: Issued;
  revoked: Issued;
  foreign: Issued;
  /** The files the settings name: CA, CRL, the listener's key and certificate. */
  files: { caFile: string; crlFile: string; keyFile: string; certFile: string };
  /** `x509` settings for startGuichet. */
  x509: (extra?: Record<string, unknown>) => Record<string, unknown>;
  cleanup(): Promise<void>;
}

/** A CA with a CRL revoking one certificate, another CA, and a server certificate for localhost, written to a scratch folder. */
export async function createTestPki(now = new Date()): Promise<TestPki> {
  const ca = await createCa('Banque Test CA', now);
  const otherCa = await createCa('Autre CA', now);
  const server = await createLeaf(now, { issuer: ca, cn: 'localhost', dnsNames: ['localhost'], extendedUsages: [serverAuth] });
  const expired = await createLeaf(now, { issuer: ca, cn: 'Old Token', notBefore: new Date(now.getTime() - 30 * DAY), notAfter: new Date(now.getTime() - DAY) });
  const revoked = await createLeaf(now, { issuer: ca, cn: 'Lost Token' });
  const foreign = await createLeaf(now, { issuer: otherCa, cn: 'Foreign Token' });
  const crl = await createCrl(ca, { revoked: [revoked], thisUpdate: new Date(now.getTime() - DAY), nextUpdate: new Date(now.getTime() + 7 * DAY) });
  const scratch = await mkdtemp(join(tmpdir(), 'guichet-pki-'));
  const file = async (name: string, content: string) => {
    await writeFile(join(scratch, name), content);
    return join(scratch, name);
  };
  const files = { caFile: await file('ca.pem', ca.pem), crlFile: await file('ca.crl', crl.pem), keyFile: await file('server.key', server.keyPem), certFile: await file('server.pem', server.pem) };
  return {
    ca,
    otherCa,
    server,
    good: (cn) => createLeaf(now, { issuer: ca, cn }),
    expired,
    revoked,
    foreign,
    files,
    x509: (extra = {}) => ({ enabled: true, caFiles: [files.caFile], crlFiles: [files.crlFile], tls: { keyFile: files.keyFile, certFile: files.certFile }, ...extra }),
    cleanup: () => rm(scratch, { recursive: true, force: true }),
  };
}

import type { IncomingMessage } from 'node:http';
import type { AuditLog } from '../../domain/ports.js';
import { CLIENT_CERT_HEADER, createProxyMatcher, forwardedCertificateOf } from './client-cert-header.js';
import { peerCertificateOf } from './tls-listener.js';
import type { X509Settings } from './x509-settings.js';

export type PresentedCertificate =
  | { kind: 'present'; der: Buffer; via: 'tls' | 'header' }
  | { kind: 'absent' }
  /** A trusted proxy sent something that is not a certificate: the validator's `malformed`. */
  | { kind: 'malformed' };

/**
 * Where a request's client certificate comes from: the TLS connection itself (Guichet's listener),
 * else the `Client-Cert` header of a trusted proxy. A header from anyone else is ignored and
 * audited as forged (ASVS-41): someone tried to present a certificate without its key.
 */
export function createClientCertificateSource(deps: { settings: Pick<X509Settings, 'trustedProxies'>; audit: Pick<AuditLog, 'record'> }) {
  const isTrustedProxy = createProxyMatcher(deps.settings.trustedProxies);
  return {
    async certificateOf(req: IncomingMessage): Promise<PresentedCertificate> {
      const direct = peerCertificateOf(req);
      if (direct) return { kind: 'present', der: direct, via: 'tls' };
      const peer = req.socket.remoteAddress;
      const forwarded = forwardedCertificateOf(peer, req.headers[CLIENT_CERT_HEADER], isTrustedProxy);
      if (forwarded.kind === 'forged') {
        const userAgent = req.headers['user-agent'];
        await deps.audit.record({ action: 'x509.client_cert_header', result: 'failure', reason: 'forged', ip: peer ?? null, userAgent: typeof userAgent === 'string' ? userAgent.slice(0, 512) : null });
        return { kind: 'absent' };
      }
      return forwarded.kind === 'present' ? { kind: 'present', der: forwarded.der, via: 'header' } : forwarded;
    },
  };
}

export type ClientCertificateSource = ReturnType<typeof createClientCertificateSource>;

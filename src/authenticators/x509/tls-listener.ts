import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, RequestListener } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { X509Settings } from './x509-settings.js';

export interface ClientCertificateListenerOptions {
  /** The listener's own key and certificate chain (PEM). */
  key: string | Buffer;
  cert: string | Buffer;
  /** The client CAs: named in the CertificateRequest so that browsers offer only their certificates. */
  ca: (string | Buffer)[];
  /** The HTTP application (a Koa `app.callback()`). */
  handler: RequestListener;
}

/**
 * Guichet's own TLS listener that asks for a client certificate, on a port of its own so that
 * ordinary pages never prompt for one. `rejectUnauthorized: false`: the handshake completes whatever
 * the certificate (the client still proves its key with CertificateVerify), and validateCertificate
 * gives the reason on a page instead of a bare TLS alert.
 */
export function createClientCertificateServer(options: ClientCertificateListenerOptions): Server {
  return createServer(
    {
      key: options.key,
      cert: options.cert,
      ca: options.ca,
      requestCert: true,
      rejectUnauthorized: false,
      minVersion: 'TLSv1.2',
    },
    options.handler,
  );
}

/** The DER certificate the TLS client presented on this request's connection, or null. */
export function peerCertificateOf(req: IncomingMessage): Buffer | null {
  const socket = req.socket as Partial<TLSSocket>;
  if (typeof socket.getPeerCertificate !== 'function') return null;
  const peer = socket.getPeerCertificate(false);
  return peer && Buffer.isBuffer(peer.raw) && peer.raw.length > 0 ? peer.raw : null;
}

/** The listener's key, certificate and client CAs, read from the files the settings name. */
export async function readListenerCredentials(settings: Pick<X509Settings, 'caFiles' | 'intermediateFiles' | 'tls'>): Promise<Pick<ClientCertificateListenerOptions, 'key' | 'cert' | 'ca'>> {
  const { keyFile, certFile } = settings.tls;
  if (!keyFile || !certFile) throw new Error('x509.tls.keyFile and x509.tls.certFile are required for the client-certificate listener');
  const [key, cert, ...ca] = await Promise.all([keyFile, certFile, ...settings.caFiles, ...settings.intermediateFiles].map((f) => readFile(f)));
  return { key: key!, cert: cert!, ca };
}

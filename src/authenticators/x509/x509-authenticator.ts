import { z } from 'zod';
import type { AuthContext, Authenticator } from '../contract.js';
import { subjectValueOf } from './subject-name.js';
import { validateCertificate } from './validate-certificate.js';
import {
  certificateAmr,
  certificateFactors,
  isBlocked,
  rejection,
  X509_KIND,
  type X509Data,
  type X509Dependencies,
  type X509Evidence,
  type X509Rejection,
} from './x509-credential.js';

/** The certificate the transport saw: the TLS peer certificate or the proxy's `Client-Cert` header (DER). */
const input = z.object({ certificateDer: z.custom<Uint8Array>((v) => v instanceof Uint8Array, 'a DER-encoded certificate') });
type Input = z.infer<typeof input>;

export type X509Outcome = { kind: 'verified'; accountId: string; evidence: X509Evidence } | X509Rejection;

/**
 * X.509 client certificates (the bank's certificate on a USB token), presented in a TLS handshake
 * that proved possession of the private key, to Guichet's own listener or to a trusted proxy.
 * The certificate is validated first (chain, dates, usage, CRL), then mapped to an account by an
 * enrolled binding (SHA-256 thumbprint) or, when configured, by the subject rule.
 *
 * Factor classes and amr: see `certificateAmr` (`sc pin mfa` on PIN-protected tokens, else `pop`).
 * No transaction can be bound into a TLS handshake: this factor does not do dynamic linking.
 */
export function createX509Authenticator(deps: X509Dependencies) {
  const { settings } = deps;
  if (settings.mapping === 'subject' && !deps.findAccountsBy) throw new Error('x509: the subject mapping rule needs findAccountsBy');

  async function verifyCertificate(ctx: Pick<AuthContext, 'account'>, certificateDer: Uint8Array): Promise<X509Outcome> {
    const now = deps.clock.now();
    const check = validateCertificate(certificateDer, deps.trust.current(), now, { requireCrl: settings.requireCrl });
    if (check.kind === 'invalid') return rejection(check.reason, check.certificate);
    const { certificate } = check;
    const evidence = { thumbprint: certificate.thumbprint, subject: certificate.subject, issuer: certificate.issuer, serial: certificate.serial, amr: certificateAmr(settings.pinProtected) };

    const bound = await deps.factors.findByLookup<X509Data>(X509_KIND, certificate.thumbprint);
    if (bound && bound.kind === X509_KIND) {
      if (ctx.account && bound.accountId !== ctx.account.id) return rejection('other_account', certificate);
      if (isBlocked(bound, now)) return rejection('credential_blocked', certificate);
      return { kind: 'verified', accountId: bound.accountId, evidence: { ...evidence, credentialId: bound.id, via: 'binding' } };
    }
    if (settings.mapping === 'subject' && deps.findAccountsBy) {
      const value = subjectValueOf(certificate, settings.subjectRule.source);
      const accounts = value ? await deps.findAccountsBy(settings.subjectRule.attribute, value) : [];
      if (accounts.length === 1) {
        const account = accounts[0]!;
        if (ctx.account && account.id !== ctx.account.id) return rejection('other_account', certificate);
        return { kind: 'verified', accountId: account.id, evidence: { ...evidence, credentialId: null, via: 'subject' } };
      }
    }
    return rejection('unbound', certificate);
  }

  const authenticator = {
    id: 'x509',
    factors: certificateFactors(settings.pinProtected),
    amr: certificateAmr(settings.pinProtected),
    // The certificate names its owner: it can be the first and only step (identify + authenticate).
    requiresAccount: false,
    input,
    async isEnrolled(ctx) {
      if (settings.mapping === 'subject') return true;
      return ctx.account !== null && (await deps.factors.listForAccount(ctx.account.id, X509_KIND)).length > 0;
    },
    /** Nothing to send: the TLS handshake was the challenge (CertificateVerify, RFC 8446 §4.4.3). */
    async begin() {
      return undefined;
    },
    async verify(ctx, { certificateDer }, _challenge: undefined): Promise<X509Outcome> {
      return verifyCertificate(ctx, certificateDer);
    },
    async commit(_ctx, evidence) {
      if (evidence.credentialId) await deps.factors.recordUse(evidence.credentialId, deps.clock.now());
    },
  } satisfies Authenticator<Input, undefined, X509Evidence>;

  return { ...authenticator, verifyCertificate };
}

export type X509Authenticator = ReturnType<typeof createX509Authenticator>;

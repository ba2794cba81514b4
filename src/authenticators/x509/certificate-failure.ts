/**
 * Why a certificate was refused; stable strings that reach the audit log, the tests and the page
 * (which explains each one).
 */
export type CertificateFailure =
  /** Not one well-formed X.509 certificate (or the transport's encoding of one). */
  | 'malformed'
  /** No path to a configured CA, or a signature on the path does not verify. */
  | 'untrusted_issuer'
  /** Past notAfter (the certificate or a CA of its path), by the injected clock. */
  | 'expired'
  /** Before notBefore. */
  | 'not_yet_valid'
  /** Not for client authentication: no keyUsage digitalSignature, no extendedKeyUsage clientAuth, or a CA certificate. */
  | 'wrong_usage'
  /** In the current CRL of its issuer. */
  | 'revoked'
  /** The issuer's CRL is past nextUpdate, not yet valid, or missing while CRLs are required: fail closed. */
  | 'crl_stale';

/** Refusals after validation: the certificate is fine but does not open this account. */
export type BindingFailure =
  /** Neither enrolled nor matched by the subject rule (or matched ambiguously). */
  | 'unbound'
  /** Enrolled to another account than the one already identified in the flow. */
  | 'other_account'
  /** Its binding is blocked by an administrator. */
  | 'credential_blocked';

export type X509Failure = CertificateFailure | BindingFailure;

import type { FactorCredentialRepository } from '../../domain/ports.js';
import type { CertificateFailure } from './certificate-failure.js';
import { validateCertificate, type CertificateCheck } from './validate-certificate.js';
import { summarise, X509_KIND, x509DataOf, type X509CredentialSummary, type X509Data, type X509Dependencies } from './x509-credential.js';

/**
 * How recent the user's SCA must be to bind a certificate by themselves (PSD2 RTS art. 24(2)(b):
 * a new credential is delivered under SCA), the same freshness as an administrator's login to
 * issue a temporary code.
 */
export const SELF_ENROLMENT_SCA_MAX_AGE_MS = 5 * 60 * 1000;

export type EnrolmentFailure = CertificateFailure | 'already_enrolled' | 'sca_required';

export type CertificateEnrolmentOutcome = { kind: 'enrolled'; credential: X509CredentialSummary } | { kind: 'refused'; reason: EnrolmentFailure; thumbprint?: string };

const isUniqueViolation = (e: unknown): boolean => typeof e === 'object' && e !== null && (e as { code?: unknown }).code === '23505';

/** Label shown in lists when none is given: the subject's CN, else the whole subject. */
const defaultLabel = (subject: string): string => (/(?:^|,\s*)CN=([^,]+)/.exec(subject)?.[1] ?? subject).slice(0, 100);

/** A lost or replaced token: the binding is deleted, so the certificate opens nothing any more. false when it is not this account's binding. */
export async function revokeX509Credential(factors: FactorCredentialRepository, accountId: string, credentialId: string): Promise<boolean> {
  const credential = await factors.findById(credentialId);
  if (!credential || credential.accountId !== accountId || credential.kind !== X509_KIND) return false;
  return factors.remove(credential.id);
}

/**
 * Binding certificates to accounts: by administrators (CLI, admin API) and by users after SCA.
 * A certificate is validated as it would be at login before it is bound, and opens one account.
 */
export function createX509Enrolment(deps: Pick<X509Dependencies, 'factors' | 'clock' | 'trust' | 'settings'>) {
  /** Validation at the clock's time, as at login (without the account mapping). */
  function inspectCertificate(input: Uint8Array | string): CertificateCheck {
    return validateCertificate(input, deps.trust.current(), deps.clock.now(), { requireCrl: deps.settings.requireCrl });
  }

  async function enrolCertificate(accountId: string, input: Uint8Array | string, options: { label?: string | null } = {}): Promise<CertificateEnrolmentOutcome> {
    const check = inspectCertificate(input);
    if (check.kind === 'invalid') return { kind: 'refused', reason: check.reason, ...(check.certificate ? { thumbprint: check.certificate.thumbprint } : {}) };
    const { certificate } = check;
    const refused = { kind: 'refused', reason: 'already_enrolled', thumbprint: certificate.thumbprint } as const;
    if (await deps.factors.findByLookup(X509_KIND, certificate.thumbprint)) return refused;
    try {
      const created = await deps.factors.create<X509Data>({
        accountId,
        kind: X509_KIND,
        label: options.label?.trim() || defaultLabel(certificate.subject),
        data: x509DataOf(certificate),
        lookup: certificate.thumbprint,
      });
      return { kind: 'enrolled', credential: summarise(created) };
    } catch (e) {
      if (isUniqueViolation(e)) return refused;
      throw e;
    }
  }

  return {
    inspectCertificate,

    /** An administrator's enrolment (the CLI's `factor enrol-cert`, the admin API). */
    enrolCertificate,

    /**
     * The user binds the certificate they just presented, from their profile: only within
     * SELF_ENROLMENT_SCA_MAX_AGE_MS of an SCA (`lastScaAt`, from the session's authentication time
     * at SCA level), never on a simple login.
     */
    async enrolOwnCertificate(accountId: string, input: Uint8Array | string, options: { lastScaAt: Date | null; label?: string | null }): Promise<CertificateEnrolmentOutcome> {
      const now = deps.clock.now().getTime();
      const at = options.lastScaAt?.getTime();
      if (at === undefined || at > now || now - at > SELF_ENROLMENT_SCA_MAX_AGE_MS) return { kind: 'refused', reason: 'sca_required' };
      return enrolCertificate(accountId, input, { label: options.label ?? null });
    },

    async listCertificates(accountId: string): Promise<X509CredentialSummary[]> {
      return (await deps.factors.listForAccount<X509Data>(accountId, X509_KIND)).map(summarise);
    },

    revokeCertificate: (accountId: string, credentialId: string): Promise<boolean> => revokeX509Credential(deps.factors, accountId, credentialId),
  };
}

export type X509Enrolment = ReturnType<typeof createX509Enrolment>;

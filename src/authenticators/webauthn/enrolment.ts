import { generateRegistrationOptions, verifyRegistrationResponse, type PublicKeyCredentialCreationOptionsJSON } from '@simplewebauthn/server';
import { decodeAttestationObject, isoBase64URL } from '@simplewebauthn/server/helpers';
import type { Account } from '../../domain/account.js';
import { createChallenge } from './transaction-challenge.js';
import {
  rejection,
  spendChallenge,
  summarise,
  WEBAUTHN_KIND,
  type WebAuthnCredentialSummary,
  type WebAuthnData,
  type WebAuthnDependencies,
  type WebAuthnRejection,
} from './webauthn-credential.js';
import { base64urlToBytes, inspectCeremony, registrationResponseSchema, toLibraryRegistration } from './webauthn-responses.js';

/** COSE algorithms offered, most preferred first (RFC 9053): ES256, EdDSA, RS256. */
export const SUPPORTED_ALGORITHMS: readonly number[] = Object.freeze([-7, -8, -257]);

/** Kept in the flow between the two halves of a registration; the options go to the browser. */
export interface RegistrationChallenge {
  challenge: string;
  accountId: string;
  userHandle: string;
  /** Epoch milliseconds. */
  expiresAt: number;
}

export type RegistrationOutcome = { kind: 'enrolled'; credential: WebAuthnCredentialSummary } | WebAuthnRejection;

const isUniqueViolation = (e: unknown): boolean => typeof e === 'object' && e !== null && (e as { code?: unknown }).code === '23505';

/**
 * user.id (WebAuthn L2 §5.4.3): opaque, no personal data, the same for all of an account's passkeys
 * so that an authenticator keeps one discoverable credential per account. The account id is a
 * random UUID.
 */
const userHandleOf = (account: Pick<Account, 'id'>): Uint8Array => new Uint8Array(Buffer.from(account.id, 'utf8'));

const userNameOf = (account: Account): string => account.username ?? account.userNumber ?? account.email ?? account.id;
const displayNameOf = (account: Account): string => [account.givenName, account.familyName].filter(Boolean).join(' ') || userNameOf(account);

/**
 * Passkey registration (from the profile page, or a step-up enrolment which itself needs SCA: PSD2
 * RTS art. 24(2)(b)), listing and revocation for the user and administrators.
 */
export function createWebAuthnEnrolment(deps: WebAuthnDependencies) {
  const { settings } = deps;

  return {
    /**
     * Options for navigator.credentials.create(): a discoverable credential preferred (usernameless
     * login), user verification required, no attestation, the account's passkeys excluded.
     */
    async beginRegistration(
      account: Account,
      existingCredentials: readonly Pick<WebAuthnCredentialSummary, 'publicKeyCredentialId' | 'transports'>[],
    ): Promise<{ options: PublicKeyCredentialCreationOptionsJSON; challenge: RegistrationChallenge }> {
      const { challenge } = createChallenge();
      const userID = userHandleOf(account);
      const options = await generateRegistrationOptions({
        rpName: settings.rpName,
        rpID: settings.rpId,
        userName: userNameOf(account),
        userDisplayName: displayNameOf(account),
        userID: new Uint8Array(userID),
        challenge: new Uint8Array(isoBase64URL.toBuffer(challenge)),
        timeout: settings.timeoutSeconds * 1000,
        attestationType: 'none',
        excludeCredentials: existingCredentials.map((c) => ({ id: c.publicKeyCredentialId, transports: [...c.transports] })),
        authenticatorSelection: { residentKey: 'preferred', userVerification: settings.userVerification },
        supportedAlgorithmIDs: [...SUPPORTED_ALGORITHMS],
      });
      const expiresAt = deps.clock.now().getTime() + settings.timeoutSeconds * 1000;
      return { options, challenge: { challenge: options.challenge, accountId: account.id, userHandle: options.user.id, expiresAt } };
    },

    /**
     * WebAuthn L2 §7.1 through @simplewebauthn/server (UP and UV required, origin and RP ID from
     * the settings), then stores the public key with `lookup` = credential id. The challenge is
     * spent by the first attempt, whatever its result.
     */
    async finishRegistration(accountId: string, response: unknown, expected: RegistrationChallenge, options: { label?: string | null } = {}): Promise<RegistrationOutcome> {
      if (expected.accountId !== accountId) return rejection('challenge_mismatch');
      if (deps.clock.now().getTime() > expected.expiresAt) return rejection('challenge_expired');
      if (!(await spendChallenge(deps, expected.challenge, expected.expiresAt))) return rejection('challenge_reused');
      const parsed = registrationResponseSchema.safeParse(response);
      if (!parsed.success) return rejection('invalid_response');
      const body = parsed.data;

      const attestation = base64urlToBytes(body.response.attestationObject);
      let authData: Uint8Array | null = null;
      try {
        authData = attestation ? decodeAttestationObject(new Uint8Array(attestation)).get('authData') : null;
      } catch {
        authData = null;
      }
      const inspected = inspectCeremony('webauthn.create', body.response.clientDataJSON, authData, { challenge: expected.challenge, origins: settings.origins, rpId: settings.rpId });
      if (inspected.kind === 'failed') return rejection(inspected.failure);
      if (inspected.authData.flags.be && !settings.allowBackupEligible) return rejection('backup_eligible_refused');

      let info;
      try {
        const verified = await verifyRegistrationResponse({
          response: toLibraryRegistration(body),
          expectedChallenge: expected.challenge,
          expectedOrigin: [...settings.origins],
          expectedRPID: settings.rpId,
          requireUserPresence: true,
          requireUserVerification: true,
          supportedAlgorithmIDs: [...SUPPORTED_ALGORITHMS],
        });
        if (!verified.verified) return rejection('bad_signature');
        info = verified.registrationInfo;
      } catch {
        return rejection('invalid_response');
      }

      const publicKeyCredentialId = info.credential.id;
      // The id the browser reports must be the one the authenticator attested (§7.1 step 22 uses the latter).
      if (publicKeyCredentialId !== body.id) return rejection('invalid_response');
      if (await deps.factors.findByLookup(WEBAUTHN_KIND, publicKeyCredentialId)) return rejection('already_registered');
      const data: WebAuthnData = {
        publicKey: isoBase64URL.fromBuffer(info.credential.publicKey),
        userHandle: expected.userHandle,
        transports: body.response.transports,
        backupEligible: info.credentialDeviceType === 'multiDevice',
        backedUp: info.credentialBackedUp,
        aaguid: info.aaguid,
        fmt: info.fmt,
        origin: info.origin,
      };
      try {
        const created = await deps.factors.create<WebAuthnData>({
          accountId,
          kind: WEBAUTHN_KIND,
          label: options.label ?? null,
          data,
          counter: info.credential.counter,
          lookup: publicKeyCredentialId,
        });
        return { kind: 'enrolled', credential: summarise(created) };
      } catch (e) {
        if (isUniqueViolation(e)) return rejection('already_registered');
        throw e;
      }
    },

    async listWebAuthnCredentials(accountId: string): Promise<WebAuthnCredentialSummary[]> {
      return (await deps.factors.listForAccount<WebAuthnData>(accountId, WEBAUTHN_KIND)).map(summarise);
    },

    /**
     * Lost or unwanted passkey (ASVS 6.5.6, PSD2 RTS art. 27): the row and its key are deleted, so the
     * next assertion finds no credential. false when it is not this account's passkey. Administrators
     * call it with the account they manage.
     */
    async revokeWebAuthnCredential(accountId: string, credentialId: string): Promise<boolean> {
      const credential = await deps.factors.findById(credentialId);
      if (!credential || credential.accountId !== accountId || credential.kind !== WEBAUTHN_KIND) return false;
      return deps.factors.remove(credential.id);
    },

    /** Every passkey of the account (an administrator's answer to a lost phone); the ids removed. */
    async revokeAllWebAuthnCredentials(accountId: string): Promise<string[]> {
      const all = await deps.factors.listForAccount(accountId, WEBAUTHN_KIND);
      const removed: string[] = [];
      for (const c of all) if (await deps.factors.remove(c.id)) removed.push(c.id);
      return removed;
    },
  };
}

export type WebAuthnEnrolment = ReturnType<typeof createWebAuthnEnrolment>;

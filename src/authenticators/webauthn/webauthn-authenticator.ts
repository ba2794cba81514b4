import { createHash } from 'node:crypto';
import { z } from 'zod';
import { generateAuthenticationOptions, verifyAuthenticationResponse, type PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import { isoBase64URL } from '@simplewebauthn/server/helpers';
import type { Account } from '../../domain/account.js';
import type { FactorCredential } from '../../domain/credential.js';
import type { AuthContext, Authenticator } from '../contract.js';
import { canonicalJson, createChallenge, deriveTransactionChallenge, type TransactionDetails } from './transaction-challenge.js';
import {
  assertionAmr,
  isBlocked,
  rejection,
  spendChallenge,
  WEBAUTHN_KIND,
  type WebAuthnData,
  type WebAuthnDependencies,
  type WebAuthnEvidence,
  type WebAuthnRejection,
} from './webauthn-credential.js';
import { authenticationResponseSchema, base64urlToBytes, inspectCeremony, toLibraryAuthentication, type AuthenticationResponse } from './webauthn-responses.js';

const input = z.object({ credential: authenticationResponseSchema });
type Input = z.infer<typeof input>;

/**
 * The server's half of an authentication ceremony, kept in the flow; JSON only. With a transaction,
 * `nonce` and `transaction` let the verifier recompute the challenge (PSD2 RTS art. 5).
 */
export interface AssertionState {
  challenge: string;
  /** The account identified before the ceremony; null for a discoverable (usernameless) login. */
  accountId: string | null;
  nonce: string | null;
  transaction: TransactionDetails | null;
  /** Epoch milliseconds. */
  expiresAt: number;
}

/** What `begin` returns: the options for navigator.credentials.get() and the state to keep. */
export interface AssertionChallenge {
  options: PublicKeyCredentialRequestOptionsJSON;
  state: AssertionState;
}

export type WebAuthnOutcome = { kind: 'verified'; accountId: string; evidence: WebAuthnEvidence } | WebAuthnRejection;

const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('base64url');

/** The challenge the assertion must carry, recomputed from the details being authorised now. */
function expectedChallenge(state: AssertionState, transaction: TransactionDetails | null): { challenge: string } | { failure: 'transaction_mismatch' | 'invalid_response' } {
  if (state.nonce === null) return transaction ? { failure: 'transaction_mismatch' } : { challenge: state.challenge };
  if (!transaction) return { failure: 'transaction_mismatch' };
  const nonce = base64urlToBytes(state.nonce);
  if (!nonce || nonce.length < 16) return { failure: 'invalid_response' };
  try {
    return { challenge: deriveTransactionChallenge(transaction, nonce) };
  } catch {
    return { failure: 'transaction_mismatch' };
  }
}

/**
 * Passkeys and security keys (WebAuthn L2 §7.2 through @simplewebauthn/server), user verification
 * always required.
 *
 * Factor classes: possession of the private key, plus the user verification the authenticator ran
 * locally. Whether that was a PIN (knowledge) or a biometric (inherence) the RP cannot learn (the
 * UVM extension is gone from WebAuthn L3 and browsers never sent it), and every authenticator that
 * offers a biometric also accepts its device PIN. Guichet therefore claims `knowledge`, the class the
 * user is sure to have used or to be able to use, never an inherence it cannot show; either way the
 * two classes are distinct, which is what PSD2 RTS art. 4 and EBA-Op-2019-06 (UV PIN = knowledge,
 * UV biometric = inherence) ask for. amr: see `assertionAmr` (`pop`/`swk` + `user`, no `pin`/`fpt`).
 */
export function createWebAuthnAuthenticator(deps: WebAuthnDependencies) {
  const { settings } = deps;

  /**
   * Options with the account's credentials in allowCredentials, or none for a discoverable login.
   * With a transaction: challenge = base64url(SHA-256(canonical JSON ‖ 32-byte nonce)).
   */
  async function beginAuthentication(request: { account?: Account | null; transaction?: TransactionDetails | null; deviceBoundOnly?: boolean } = {}): Promise<AssertionChallenge> {
    const account = request.account ?? null;
    const transaction = request.transaction ?? null;
    const enrolled = account ? await deps.factors.listForAccount<WebAuthnData>(account.id, WEBAUTHN_KIND) : [];
    // When only a device-bound passkey would reach the level asked, the browser is not offered synced ones.
    const credentials = request.deviceBoundOnly ? enrolled.filter((c) => !c.data.backupEligible) : enrolled;
    const { challenge, nonce } = createChallenge(transaction);
    const options = await generateAuthenticationOptions({
      rpID: settings.rpId,
      allowCredentials: credentials.filter((c) => c.lookup).map((c) => ({ id: c.lookup!, transports: [...c.data.transports] })),
      challenge: new Uint8Array(isoBase64URL.toBuffer(challenge)),
      timeout: settings.timeoutSeconds * 1000,
      userVerification: settings.userVerification,
    });
    const expiresAt = deps.clock.now().getTime() + settings.timeoutSeconds * 1000;
    return { options, state: { challenge: options.challenge, accountId: account?.id ?? null, nonce, transaction, expiresAt } };
  }

  /** `transaction`: the details being authorised now (default `ctx.transaction`), from which the challenge is recomputed. */
  async function verifyAssertion(ctx: AuthContext, credential: AuthenticationResponse, state: AssertionState, transaction: TransactionDetails | null = ctx.transaction ?? null): Promise<WebAuthnOutcome> {
    const now = deps.clock.now();
    if (now.getTime() > state.expiresAt) return rejection('challenge_expired');
    if (!(await spendChallenge(deps, state.challenge, state.expiresAt))) return rejection('challenge_reused');

    const expected = expectedChallenge(state, transaction);
    if ('failure' in expected) return rejection(expected.failure);
    const authenticatorData = base64urlToBytes(credential.response.authenticatorData);
    const inspected = inspectCeremony('webauthn.get', credential.response.clientDataJSON, authenticatorData, {
      challenge: expected.challenge,
      originalChallenge: state.challenge,
      origins: settings.origins,
      rpId: settings.rpId,
    });
    if (inspected.kind === 'failed') return rejection(inspected.failure);

    const stored = await deps.factors.findByLookup<WebAuthnData>(WEBAUTHN_KIND, credential.id);
    if (!stored || stored.kind !== WEBAUTHN_KIND) return rejection('unknown_credential');
    const expectedAccount = ctx.account?.id ?? state.accountId;
    if (expectedAccount !== null && stored.accountId !== expectedAccount) return rejection('other_account');
    if (state.accountId !== null && stored.accountId !== state.accountId) return rejection('other_account');
    // §7.2 step 6: a usernameless login must name its user, and the user must own the credential.
    const userHandle = credential.response.userHandle;
    if ((expectedAccount === null && !userHandle) || (userHandle && userHandle !== stored.data.userHandle)) return rejection('user_handle_mismatch');
    if (isBlocked(stored, now)) return rejection('credential_blocked');
    const { flags } = inspected.authData;
    if (flags.be !== stored.data.backupEligible) return rejection('backup_eligibility_changed');
    if (flags.be && !settings.allowBackupEligible) return rejection('backup_eligible_refused');

    let info;
    try {
      const verified = await verifyAuthenticationResponse({
        response: toLibraryAuthentication(credential),
        expectedChallenge: expected.challenge,
        expectedOrigin: [...settings.origins],
        expectedRPID: settings.rpId,
        // Counter 0 here: the library's own (non-atomic) counter check would pre-empt the atomic one below.
        credential: { id: credential.id, publicKey: new Uint8Array(isoBase64URL.toBuffer(stored.data.publicKey)), counter: 0, transports: stored.data.transports },
        requireUserVerification: true,
      });
      if (!verified.verified) return rejection('bad_signature');
      info = verified.authenticationInfo;
    } catch {
      return rejection('invalid_response');
    }

    // §6.1.1 / §7.2 step 21: a counter that does not increase means a cloned authenticator or a
    // replay. advanceCounter is atomic, so of two assertions with one counter value only one passes.
    const newCounter = info.newCounter;
    if (newCounter > 0) {
      if (!(await deps.factors.advanceCounter(stored.id, newCounter))) return rejection('counter_regression');
    } else if ((stored.counter ?? 0) > 0) {
      return rejection('counter_regression');
    }

    return {
      kind: 'verified',
      accountId: stored.accountId,
      evidence: {
        credentialId: stored.id,
        publicKeyCredentialId: credential.id,
        newCounter,
        userVerified: info.userVerified,
        backupEligible: flags.be,
        backedUp: info.credentialBackedUp,
        amr: assertionAmr(flags.be),
        transactionHash: state.nonce !== null && transaction ? sha256(canonicalJson(transaction)) : null,
      },
    };
  }

  const authenticator = {
    id: 'webauthn',
    factors: ['possession', 'knowledge'],
    // The lower bound every verified assertion supports; evidence.amr refines it per assertion.
    amr: ['pop', 'user'],
    requiresAccount: false,
    input,
    async isEnrolled(ctx) {
      return ctx.account !== null && (await deps.factors.listForAccount(ctx.account.id, WEBAUTHN_KIND)).length > 0;
    },
    async begin(ctx) {
      return beginAuthentication({ account: ctx.account, transaction: ctx.transaction ?? null });
    },
    /** The flow should still delete the challenge after this call; the factor spends it as well. */
    async verify(ctx, { credential }, challenge): Promise<WebAuthnOutcome> {
      return verifyAssertion(ctx, credential, challenge.state);
    },
    /** Records the use and the current backup state (BS may change over a credential's life). */
    async commit(_ctx, evidence) {
      await deps.factors.recordUse(evidence.credentialId, deps.clock.now());
      const stored: FactorCredential<WebAuthnData> | null = await deps.factors.findById<WebAuthnData>(evidence.credentialId);
      if (stored && stored.data.backedUp !== evidence.backedUp) await deps.factors.updateData<WebAuthnData>(stored.id, { ...stored.data, backedUp: evidence.backedUp });
    },
  } satisfies Authenticator<Input, AssertionChallenge, WebAuthnEvidence>;

  return {
    ...authenticator,
    /** N3-19: the origin and the RP ID are signed, so a look-alike site's assertion does not verify. */
    phishingResistant: true as const,
    beginAuthentication,
    verifyAssertion,
  };
}

export type WebAuthnAuthenticator = ReturnType<typeof createWebAuthnAuthenticator>;

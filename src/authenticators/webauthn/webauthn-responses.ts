import { createHash } from 'node:crypto';
import { z } from 'zod';
import { decodeClientDataJSON, isoBase64URL, parseAuthenticatorData, type ClientDataJSON, type ParsedAuthenticatorData } from '@simplewebauthn/server/helpers';
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import type { WebAuthnFailure } from './webauthn-credential.js';

/**
 * The JSON the browser posts (WebAuthn L3 §5.1 toJSON, @simplewebauthn/browser), bounded before
 * anything is decoded. A form may post it as a JSON string: both are accepted.
 */
const b64url = (max: number) => z.string().regex(/^[A-Za-z0-9_-]+$/, 'not base64url').max(max);
/** WebAuthn L2 §5.8.3 and §6.2.1: known transports; unknown ones are dropped, not refused. */
const KNOWN_TRANSPORTS = new Set(['ble', 'cable', 'hybrid', 'internal', 'nfc', 'smart-card', 'usb']);
const fromJsonText = (v: unknown): unknown => {
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
};

const credentialFields = {
  /** §6.1: a credential ID is at most 1023 bytes (1364 base64url characters). */
  id: b64url(1364),
  rawId: b64url(1364),
  type: z.literal('public-key'),
  clientExtensionResults: z.record(z.string(), z.unknown()).default({}),
  authenticatorAttachment: z.enum(['platform', 'cross-platform']).optional(),
};

export const registrationResponseSchema = z.preprocess(
  fromJsonText,
  z.object({
    ...credentialFields,
    response: z.object({
      clientDataJSON: b64url(8192),
      attestationObject: b64url(65536),
      transports: z
        .array(z.string().max(32))
        .max(16)
        .optional()
        .transform((t) => (t ?? []).filter((x) => KNOWN_TRANSPORTS.has(x))),
    }),
  }),
);

export const authenticationResponseSchema = z.preprocess(
  fromJsonText,
  z.object({
    ...credentialFields,
    response: z.object({
      clientDataJSON: b64url(8192),
      authenticatorData: b64url(8192),
      signature: b64url(2048),
      /** §5.4.3: user.id is at most 64 bytes. */
      userHandle: b64url(88).optional(),
    }),
  }),
);

export type RegistrationResponse = z.infer<typeof registrationResponseSchema>;
export type AuthenticationResponse = z.infer<typeof authenticationResponseSchema>;

export const toLibraryRegistration = (r: RegistrationResponse): RegistrationResponseJSON => ({
  id: r.id,
  rawId: r.rawId,
  type: r.type,
  clientExtensionResults: r.clientExtensionResults,
  ...(r.authenticatorAttachment ? { authenticatorAttachment: r.authenticatorAttachment } : {}),
  response: { clientDataJSON: r.response.clientDataJSON, attestationObject: r.response.attestationObject, transports: r.response.transports as RegistrationResponseJSON['response']['transports'] },
});

export const toLibraryAuthentication = (r: AuthenticationResponse): AuthenticationResponseJSON => ({
  id: r.id,
  rawId: r.rawId,
  type: r.type,
  clientExtensionResults: r.clientExtensionResults,
  ...(r.authenticatorAttachment ? { authenticatorAttachment: r.authenticatorAttachment } : {}),
  response: {
    clientDataJSON: r.response.clientDataJSON,
    authenticatorData: r.response.authenticatorData,
    signature: r.response.signature,
    ...(r.response.userHandle ? { userHandle: r.response.userHandle } : {}),
  },
});

export type Inspected = { kind: 'ok'; clientData: ClientDataJSON; authData: ParsedAuthenticatorData } | { kind: 'failed'; failure: WebAuthnFailure };

const decode = <T>(f: () => T): T | null => {
  try {
    return f();
  } catch {
    return null;
  }
};

/**
 * The checks of WebAuthn L2 §7.1 steps 7-15 and §7.2 steps 11-18 that name a precise failure
 * (type, challenge, origin, RP ID hash, UP, UV), made before @simplewebauthn/server repeats them
 * and checks the signature or attestation. `challenge` is the one expected from the server's state.
 */
export function inspectCeremony(
  ceremony: 'webauthn.create' | 'webauthn.get',
  clientDataJSON: string,
  authenticatorData: Uint8Array | null,
  expected: { challenge: string; origins: readonly string[]; rpId: string; originalChallenge?: string },
): Inspected {
  const clientData = decode(() => decodeClientDataJSON(clientDataJSON));
  const authData = authenticatorData ? decode(() => parseAuthenticatorData(new Uint8Array(authenticatorData))) : null;
  if (!clientData || !authData || typeof clientData.challenge !== 'string' || clientData.type !== ceremony) return { kind: 'failed', failure: 'invalid_response' };
  if (clientData.challenge !== expected.challenge) {
    // The challenge the server issued, signed over details that have changed since (RTS art. 5(1)(d)).
    return { kind: 'failed', failure: expected.originalChallenge !== undefined && clientData.challenge === expected.originalChallenge ? 'transaction_mismatch' : 'challenge_mismatch' };
  }
  if (!expected.origins.includes(clientData.origin)) return { kind: 'failed', failure: 'origin_mismatch' };
  const rpIdHash = createHash('sha256').update(expected.rpId, 'utf8').digest();
  if (!rpIdHash.equals(Buffer.from(authData.rpIdHash))) return { kind: 'failed', failure: 'rp_id_mismatch' };
  if (!authData.flags.up) return { kind: 'failed', failure: 'user_not_present' };
  if (!authData.flags.uv) return { kind: 'failed', failure: 'user_not_verified' };
  return { kind: 'ok', clientData, authData };
}

export const base64urlToBytes = (text: string): Uint8Array | null => decode(() => isoBase64URL.toBuffer(text));

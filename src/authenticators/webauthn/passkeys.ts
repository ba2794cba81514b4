import type { Config } from '../../config/schema.js';
import type { ExpiringStore, FactorCredentialRepository } from '../../domain/ports.js';
import type { Clock } from '../../lib/clock.js';
import { createWebAuthnEnrolment, type WebAuthnEnrolment } from './enrolment.js';
import { createWebAuthnAuthenticator, type WebAuthnAuthenticator } from './webauthn-authenticator.js';
import { resolveWebAuthnSettings, type WebAuthnSettings } from './webauthn-settings.js';

/** The WebAuthn factor as the pages use it: verification, enrolment, and whether a synced passkey counts for SCA. */
export interface Passkeys {
  settings: Readonly<WebAuthnSettings>;
  authenticator: WebAuthnAuthenticator;
  enrolment: WebAuthnEnrolment;
  /**
   * STANDARDS.md G-14: a backup-eligible passkey proves possession for SCA only when this is true;
   * otherwise it stands as its user verification alone (a simple login).
   */
  acceptBackupEligible: boolean;
}

/**
 * Builds the factor from the deployment's settings: RP ID and origin follow the issuer unless set,
 * synced passkeys are accepted for login always and for SCA per profile (`basic` yes, `psd2` and
 * `strict` no). A bad RP ID or origin is an `invalid_config` fault at start. Null when disabled.
 */
export function passkeysFromConfig(config: Readonly<Config>, deps: { factors: FactorCredentialRepository; store: Pick<ExpiringStore, 'setIfAbsent'>; clock: Clock }): Passkeys | null {
  const w = config.webauthn;
  if (!w.enabled) return null;
  const issuer = new URL(config.issuer);
  const settings = resolveWebAuthnSettings({
    enabled: true,
    rpId: w.rpId ?? issuer.hostname,
    rpName: w.rpName,
    origins: w.origins && w.origins.length > 0 ? [...w.origins] : [issuer.origin],
    // Synced passkeys are let in; whether they reach SCA is decided by acceptBackupEligible.
    allowBackupEligible: true,
    timeoutSeconds: w.timeoutSeconds,
  });
  const factorDeps = { ...deps, settings };
  return {
    settings,
    authenticator: createWebAuthnAuthenticator(factorDeps),
    enrolment: createWebAuthnEnrolment(factorDeps),
    acceptBackupEligible: w.acceptBackupEligible ?? config.sca.profile === 'basic',
  };
}

import { z } from 'zod';
import { GuichetError } from '../../errors/codes.js';

/**
 * Settings of the WebAuthn factor, for the configuration schema (`webauthn: { enabled, … }`).
 * The RP ID and the origins are what makes an assertion phishing resistant (N3-19): the browser
 * signs the page's origin into clientDataJSON, the authenticator the SHA-256 of the RP ID into
 * authenticatorData, and Guichet accepts only these.
 */
export const webauthnSettingsSchema = z.object({
  enabled: z.boolean().default(false).describe('Offer passkeys and security keys (WebAuthn).'),
  /** WebAuthn L2 §5.1.3 (rp.id): a registrable domain suffix of every origin, for example `bank.example`. */
  rpId: z.string().min(1).max(253).describe('Relying party ID: the domain passkeys are bound to. Changing it orphans every credential.'),
  /** Shown by the browser and the authenticator when a passkey is created (WebAuthn L2 §5.4.1). */
  rpName: z.string().min(1).max(64).describe('Name shown to the user when a passkey is created.'),
  /** Exact origins (scheme, host, port) of the pages that call the WebAuthn API (§7.1 step 9, §7.2 step 13). */
  origins: z.array(z.string()).min(1).describe('Origins the ceremonies may come from, e.g. ["https://login.bank.example"].'),
  /**
   * Backup-eligible ("synced") passkeys can be copied to other devices by their provider: PSD2 RTS
   * art. 7(2) asks for measures against replication and NIST 800-63B-4 keeps them below AAL3
   * (STANDARDS.md G-14, N4-02). false refuses them at registration and at every authentication.
   */
  allowBackupEligible: z.boolean().default(true).describe('Accept backup-eligible (synced) passkeys.'),
  /** Always required: user verification is what makes the passkey a second SCA element (EBA-06). */
  userVerification: z.literal('required').default('required').describe('User verification (device PIN or biometric); only "required" is supported.'),
  /** WebAuthn L2 §5.4.1 / §15.1 recommend 300 to 600 s when user verification is required; the challenge lives as long. */
  timeoutSeconds: z.number().int().min(30).max(600).default(300).describe('How long a ceremony (and its challenge) stays valid.'),
});

export type WebAuthnSettings = z.infer<typeof webauthnSettingsSchema>;
export type WebAuthnSettingsInput = z.input<typeof webauthnSettingsSchema>;

const isLocalhost = (host: string): boolean => host === 'localhost' || host.endsWith('.localhost');

/** The named cross-field checks: each origin is exact, secure and inside the RP ID (WebAuthn L2 §5.1.3, §13.4.9). */
export function checkWebAuthnSettings(settings: WebAuthnSettings): string[] {
  const problems: string[] = [];
  const rpId = settings.rpId.toLowerCase();
  if (rpId !== settings.rpId || rpId.includes(':') || rpId.includes('/') || rpId.startsWith('.') || rpId.endsWith('.')) {
    problems.push(`webauthn.rpId must be a lower-case domain name without scheme or port, got "${settings.rpId}"`);
  }
  for (const origin of settings.origins) {
    const url = URL.canParse(origin) ? new URL(origin) : null;
    if (!url || url.origin !== origin) {
      problems.push(`webauthn.origins: "${origin}" is not an exact origin (scheme://host[:port], no path or trailing slash)`);
      continue;
    }
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLocalhost(url.hostname))) {
      problems.push(`webauthn.origins: "${origin}" must use https (http only for localhost)`);
    }
    if (url.hostname !== rpId && !url.hostname.endsWith(`.${rpId}`)) {
      problems.push(`webauthn.origins: "${origin}" is not within the RP ID "${rpId}"`);
    }
  }
  return problems;
}

/** Fills in the defaults, runs the checks and freezes the result; a bad setting is a fault at start. */
export function resolveWebAuthnSettings(input: WebAuthnSettingsInput): Readonly<WebAuthnSettings> {
  const parsed = webauthnSettingsSchema.safeParse(input);
  if (!parsed.success) throw new GuichetError('invalid_config', 'invalid webauthn settings', { issues: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) });
  const problems = checkWebAuthnSettings(parsed.data);
  if (problems.length > 0) throw new GuichetError('invalid_config', problems.join('; '), { issues: problems });
  return Object.freeze({ ...parsed.data, origins: Object.freeze([...parsed.data.origins]) as string[] });
}

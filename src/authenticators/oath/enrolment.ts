import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { GuichetError } from '../../errors/codes.js';
import type { FactorCredential } from '../../domain/credential.js';
import {
  checkTotp,
  decodeBase32,
  encodeBase32,
  GENERATED_SECRET_BYTES,
  MAX_SECRET_BYTES,
  MIN_SECRET_BYTES,
  normaliseCode,
  OATH_ALGORITHMS,
  type OathAlgorithm,
  type OathDigits,
} from './oath-codes.js';
import { hotpLookup, summarise, type HotpData, type OathCredentialSummary, type TotpData } from './oath-credential.js';
import { resolveOathPolicy, type OathDependencies } from './oath-policy.js';

/** What every authenticator app understands (Key URI Format): SHA-1, 6 digits, 30 s. */
export const TOTP_APP_PARAMETERS = Object.freeze({ algorithm: 'SHA1' as OathAlgorithm, digits: 6 as OathDigits, period: 30 });

/** Shown once on the enrolment page (QR code and manual key); the caller keeps it server-side until confirmed. */
export interface TotpEnrolment {
  secret: string;
  otpauthUri: string;
}

export type TotpConfirmation =
  | { kind: 'enrolled'; credential: OathCredentialSummary; revoked: string[] }
  | { kind: 'rejected'; reason: 'wrong_secret' };

/** An administrator's import of a hardware token; `counter` is the one the token will use for its next code (0 when new). */
export const hotpTokenImport = z.object({
  serial: z.string().trim().min(1).max(64),
  secret: z.string().min(1).max(256),
  /** Omitted: detected, and refused when the text reads as both hex and base32. */
  encoding: z.enum(['hex', 'base32']).optional(),
  counter: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER - 1).default(0),
  digits: z.union([z.literal(6), z.literal(8)]).default(6),
  algorithm: z.enum(OATH_ALGORITHMS as [OathAlgorithm, ...OathAlgorithm[]]).default('SHA1'),
  label: z.string().trim().min(1).max(100).optional(),
});
export type HotpTokenImport = z.input<typeof hotpTokenImport>;

const badSecret = (why: string) => new GuichetError('bad_request', `OATH secret ${why}`);

function checkLength(key: Buffer): Buffer {
  if (key.length < MIN_SECRET_BYTES || key.length > MAX_SECRET_BYTES) throw badSecret(`must be ${MIN_SECRET_BYTES} to ${MAX_SECRET_BYTES} bytes, got ${key.length}`);
  return key;
}

function decodeImportedSecret(secret: string, encoding: 'hex' | 'base32' | undefined): Buffer {
  const compact = secret.replace(/[\s:-]/g, '');
  const hex = /^(?:[0-9a-f]{2})+$/i.test(compact);
  const b32 = /^[A-Z2-7]+=*$/i.test(compact);
  const chosen = encoding ?? (hex && b32 ? null : hex ? 'hex' : 'base32');
  if (chosen === null) throw badSecret('reads as both hex and base32: give its encoding');
  if (chosen === 'hex') {
    if (!hex) throw badSecret('is not hex');
    return checkLength(Buffer.from(compact, 'hex'));
  }
  try {
    return checkLength(decodeBase32(compact));
  } catch (e) {
    throw e instanceof GuichetError ? e : badSecret('is not base32');
  }
}

/** Postgres (and PGlite) unique violation: the (kind, lookup) index caught a concurrent import. */
const isUniqueViolation = (e: unknown): boolean => typeof e === 'object' && e !== null && (e as { code?: unknown }).code === '23505';

/** TOTP enrolment by the user, HOTP token import by administrators, listing and revocation. */
export function createOathEnrolment(deps: OathDependencies) {
  const policy = resolveOathPolicy(deps.policy);

  return {
    /** A fresh 160-bit seed and its otpauth:// URI (Key URI Format) for the QR code. */
    beginTotpEnrolment(accountName: string, issuer: string): TotpEnrolment {
      const secret = encodeBase32(randomBytes(GENERATED_SECRET_BYTES));
      const { algorithm, digits, period } = TOTP_APP_PARAMETERS;
      const label = `${encodeURIComponent(issuer)}:${encodeURIComponent(accountName)}`;
      const query = `secret=${secret}&issuer=${encodeURIComponent(issuer)}&algorithm=${algorithm}&digits=${digits}&period=${period}`;
      return { secret, otpauthUri: `otpauth://totp/${label}?${query}` };
    },

    /**
     * Checks the first code against the server's clock, then stores the credential with that step
     * already spent. The account's previous TOTP credentials are removed: re-enrolment revokes the
     * old seed (PSD2 RTS art. 7).
     */
    async confirmTotpEnrolment(accountId: string, secret: string, firstCode: string, options: { label?: string | null } = {}): Promise<TotpConfirmation> {
      let key: Buffer;
      try {
        key = decodeBase32(secret);
      } catch {
        throw badSecret('is not base32');
      }
      checkLength(key);
      const result = checkTotp(key, normaliseCode(firstCode), { ...TOTP_APP_PARAMETERS, now: deps.clock.now(), last: null, windowSteps: policy.totpWindowSteps });
      if (result.kind !== 'match') return { kind: 'rejected', reason: 'wrong_secret' };
      const previous = await deps.factors.listForAccount(accountId, 'totp');
      const credential = await deps.factors.create<TotpData>({
        accountId,
        kind: 'totp',
        label: options.label ?? null,
        data: { secret: encodeBase32(key), ...TOTP_APP_PARAMETERS },
        counter: result.counter,
      });
      for (const old of previous) await deps.factors.remove(old.id);
      return { kind: 'enrolled', credential: summarise(credential), revoked: previous.map((p) => p.id) };
    },

    /** Refuses a serial already enrolled (conflict) and a seed under 128 bits (bad_request). */
    async importHotpToken(accountId: string, token: HotpTokenImport): Promise<OathCredentialSummary> {
      const parsed = hotpTokenImport.safeParse(token);
      if (!parsed.success) throw new GuichetError('bad_request', 'invalid HOTP token', { issues: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) });
      const { serial, secret, encoding, counter, digits, algorithm, label } = parsed.data;
      const key = decodeImportedSecret(secret, encoding);
      const lookup = hotpLookup(serial);
      const conflict = () => new GuichetError('conflict', `HOTP token ${serial} is already enrolled`);
      if (await deps.factors.findByLookup('hotp', lookup)) throw conflict();
      try {
        const created = await deps.factors.create<HotpData>({
          accountId,
          kind: 'hotp',
          label: label ?? null,
          data: { secret: encodeBase32(key), algorithm, digits, serial },
          // The column holds the last accepted counter: none yet when the token starts at 0.
          counter: counter === 0 ? null : counter - 1,
          lookup,
        });
        return summarise(created);
      } catch (e) {
        throw isUniqueViolation(e) ? conflict() : e;
      }
    },

    async listOathCredentials(accountId: string): Promise<OathCredentialSummary[]> {
      const [totp, hotp] = await Promise.all([
        deps.factors.listForAccount<TotpData>(accountId, 'totp'),
        deps.factors.listForAccount<HotpData>(accountId, 'hotp'),
      ]);
      return [...totp, ...hotp].map((c: FactorCredential<TotpData | HotpData>) => summarise(c));
    },

    /** Lost token or phone (ASVS 6.5.6): the row and its sealed seed are deleted; false if not this account's. */
    async revokeOathCredential(accountId: string, credentialId: string): Promise<boolean> {
      const credential = await deps.factors.findById(credentialId);
      if (!credential || credential.accountId !== accountId || (credential.kind !== 'totp' && credential.kind !== 'hotp')) return false;
      return deps.factors.remove(credential.id);
    },
  };
}

export type OathEnrolment = ReturnType<typeof createOathEnrolment>;

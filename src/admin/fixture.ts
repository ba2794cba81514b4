import { z } from 'zod';
import { decodeBase32, MAX_SECRET_BYTES, MIN_SECRET_BYTES } from '../authenticators/oath/oath-codes.js';

/** Bytes of a base32 text, or null when it is not base32. */
const base32Length = (text: string): number | null => {
  try {
    return decodeBase32(text).length;
  } catch {
    return null;
  }
};

/** The seed fixture format (docs/SEED.md): subscriptions, accounts with their secrets, clients. */
export const fixtureSchema = z.object({
  subscriptions: z.array(z.object({ identifier: z.string().min(1).max(64), name: z.string().min(1).max(200) })).default([]),
  accounts: z
    .array(
      z.object({
        username: z.string().min(1).max(128).optional(),
        subscription: z.string().optional(),
        userNumber: z.string().min(1).max(32).optional(),
        status: z.enum(['active', 'suspended', 'blocked', 'pending_registration']).default('active'),
        familyName: z.string().max(200).optional(),
        givenName: z.string().max(200).optional(),
        email: z.email().optional(),
        emailVerified: z.boolean().default(false),
        locale: z.enum(['fr', 'en']).default('fr'),
        roles: z.array(z.string()).default([]),
        profile: z.string().optional(),
        preferences: z.record(z.string(), z.unknown()).default({}),
        password: z.string().min(1).max(1024).optional(),
        /** Confidential code (digits), for deployments that log in with one. */
        pin: z.string().regex(/^\d{4,12}$/).optional(),
        passwordMustChange: z.boolean().default(false),
        /**
         * Seed data only: a TOTP credential (SHA-1, 6 digits, 30 s) with this base32 secret, stored as
         * given. Real enrolment goes through `guichet factor enrol-totp`, which confirms a first code.
         */
        totp: z
          .object({
            secret: z.string().refine((s) => base32Length(s) !== null, { message: 'must be base32 (RFC 4648)' }).refine((s) => {
              const n = base32Length(s);
              return n === null || (n >= MIN_SECRET_BYTES && n <= MAX_SECRET_BYTES);
            }, { message: `must decode to ${MIN_SECRET_BYTES} to ${MAX_SECRET_BYTES} bytes` }),
          })
          .optional(),
      }).refine((a) => a.username || (a.subscription && a.userNumber), { message: 'an account needs a username, or a subscription and a userNumber' }),
    )
    .default([]),
  clients: z
    .array(
      z.looseObject({
        client_id: z.string().min(1).max(128),
        redirect_uris: z.array(z.url()).min(1),
        first_party: z.boolean().default(false),
      }),
    )
    .default([]),
});

export type Fixture = z.infer<typeof fixtureSchema>;

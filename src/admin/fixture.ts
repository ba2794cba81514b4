import { z } from 'zod';

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

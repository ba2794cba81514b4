import { randomUUID } from 'node:crypto';
import { loadConfig } from '../../src/config/load.js';
import { createCoreContainer } from '../../src/container.js';
import { createAccountAdmin } from '../../src/admin/account-admin.js';
import { fixtureSchema } from '../../src/admin/fixture.js';
import { normaliseForHash } from '../../src/authenticators/secret/secret-authenticator.js';

export interface SeedOptions {
  databaseUrl: string;
  redisUrl: string;
  redisPrefix: string;
  secretKey: string;
  dataDir: string;
  accounts: number;
  subscriptions: number;
  userPrefix: string;
  passwords: string[];
  client: { client_id: string } & Record<string, unknown>;
}

/**
 * Seeds through Guichet's own seed API (createCoreContainer + createAccountAdmin: migrations, the
 * subscriptions, the client, the first account and its argon2id hash), then the thousands of other
 * accounts with plain multi-row INSERTs: each distinct password is hashed once, with the configured
 * parameters, and its PHC string reused, so seeding 20 000 accounts takes seconds, not 10 minutes.
 */
export async function seed(o: SeedOptions): Promise<{ accounts: number; ms: number }> {
  const started = Date.now();
  const config = loadConfig({}, { databaseUrl: o.databaseUrl, redisUrl: o.redisUrl, redisPrefix: o.redisPrefix, secretKey: o.secretKey, dataDir: o.dataDir, logLevel: 'silent', seedDemo: false });
  const core = await createCoreContainer(config);
  try {
    const subscription = (i: number) => `BENCH-${String(i % o.subscriptions).padStart(3, '0')}`;
    const username = (i: number) => `${o.userPrefix}${String(i).padStart(6, '0')}`;
    const account = (i: number) => ({ username: username(i), subscription: subscription(i), userNumber: String(i), status: 'active', familyName: 'Bench', givenName: `User ${i}`, email: `${username(i)}@bench.test`, emailVerified: true, locale: 'fr', roles: ['full'], profile: 'full', preferences: {}, password: o.passwords[i % o.passwords.length], passwordMustChange: false });
    const { client_id, ...metadata } = o.client;
    const fixture = fixtureSchema.parse({
      subscriptions: Array.from({ length: o.subscriptions }, (_, i) => ({ identifier: subscription(i), name: `Bench subscription ${i}` })),
      accounts: [account(0)],
      clients: [{ client_id, first_party: true, ...metadata }],
    });
    await createAccountAdmin(core, 'bench:seed').seed(fixture);

    const subs = new Map<string, string>();
    for (const row of await core.db('subscriptions').select('id', 'identifier')) subs.set(row.identifier as string, row.id as string);
    const hashes = await Promise.all(o.passwords.map((p) => core.hasher.hash(normaliseForHash(p))));
    const now = new Date();
    for (let from = 1; from < o.accounts; from += 1000) {
      const accounts: Record<string, unknown>[] = [];
      const credentials: Record<string, unknown>[] = [];
      for (let i = from; i < Math.min(o.accounts, from + 1000); i++) {
        const a = account(i);
        const id = randomUUID();
        accounts.push({ id, subscription_id: subs.get(a.subscription), username: a.username, user_number: a.userNumber, status: 'active', family_name: a.familyName, given_name: a.givenName, email: a.email, email_verified: true, locale: 'fr', roles: JSON.stringify(a.roles), profile: a.profile, preferences: '{}', created_at: now, updated_at: now });
        credentials.push({ id: randomUUID(), account_id: id, kind: 'password', secret_hash: hashes[i % hashes.length], set_at: now, must_change: false, failed_count: 0, block_count: 0 });
      }
      await core.db('accounts').insert(accounts);
      await core.db('credentials').insert(credentials);
    }
    const [{ n }] = (await core.db('accounts').count({ n: '*' })) as [{ n: string }];
    return { accounts: Number(n), ms: Date.now() - started };
  } finally {
    await core.close();
  }
}

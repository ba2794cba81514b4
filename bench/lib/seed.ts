import { randomUUID } from 'node:crypto';
import { loadConfig } from '../../src/config/load.js';
import { createCoreContainer } from '../../src/container.js';
import { createAccountAdmin } from '../../src/admin/account-admin.js';
import { fixtureSchema } from '../../src/admin/fixture.js';
import { normaliseForHash } from '../../src/authenticators/secret/secret-authenticator.js';
import type { TotpData } from '../../src/authenticators/oath/oath-credential.js';
import { createWebAuthnEnrolment } from '../../src/authenticators/webauthn/enrolment.js';
import { resolveWebAuthnSettings } from '../../src/authenticators/webauthn/webauthn-settings.js';
import { SoftwareAuthenticator } from '../../test/webauthn/software-authenticator.js';

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
  /** Accounts `<totp.prefix>NNNNNN` with the same passwords plus a TOTP app (base32 secret), for the second-factor scenario. */
  totp?: { prefix: string; accounts: number; secret: string };
  /** Accounts `<passkeys.prefix>NNNNNN` with a device-bound passkey each, registered through the webauthn enrolment. */
  passkeys?: { prefix: string; accounts: number; rpId: string; origin: string };
}

/** A passkey the flow driver can sign with (its software authenticator lives in another process). */
export interface SeededPasskey {
  id: string;
  userHandle: string;
  /** PKCS#8 DER, base64. */
  privateKey: string;
  cosePublicKey: string;
}

/**
 * Seeds through Guichet's own seed API (createCoreContainer + createAccountAdmin: migrations, the
 * subscriptions, the client, the first account and its argon2id hash), then the thousands of other
 * accounts with plain multi-row INSERTs: each distinct password is hashed once, with the configured
 * parameters, and its PHC string reused, so seeding 20 000 accounts takes seconds, not 10 minutes.
 */
export async function seed(o: SeedOptions): Promise<{ accounts: number; ms: number; passkeys: SeededPasskey[] }> {
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
    const bulk = async (prefix: string, count: number, userNumber: string): Promise<string[]> => {
      const ids: string[] = [];
      for (let from = 0; from < count; from += 100) {
        const accounts: Record<string, unknown>[] = [];
        const credentials: Record<string, unknown>[] = [];
        for (let i = from; i < Math.min(count, from + 100); i++) {
          const id = randomUUID();
          const name = `${prefix}${String(i).padStart(6, '0')}`;
          accounts.push({ id, subscription_id: subs.get(subscription(i)), username: name, user_number: `${userNumber}${i}`, status: 'active', family_name: 'Bench', given_name: `User ${i}`, email: `${name}@bench.test`, email_verified: true, locale: 'fr', roles: JSON.stringify(['full']), profile: 'full', preferences: '{}', created_at: now, updated_at: now });
          credentials.push({ id: randomUUID(), account_id: id, kind: 'password', secret_hash: hashes[i % hashes.length], set_at: now, must_change: false, failed_count: 0, block_count: 0 });
          ids.push(id);
        }
        await core.db('accounts').insert(accounts);
        await core.db('credentials').insert(credentials);
      }
      return ids;
    };
    const passkeys: SeededPasskey[] = [];
    if (o.passkeys) {
      // Registered as the profile page does (options, the authenticator's attestation, verification).
      const enrolment = createWebAuthnEnrolment({ factors: core.repos.factors, store: core.store, clock: core.clock, settings: resolveWebAuthnSettings({ enabled: true, rpId: o.passkeys.rpId, rpName: 'Guichet', origins: [o.passkeys.origin] }) });
      const device = new SoftwareAuthenticator(o.passkeys.origin);
      const ids = await bulk(o.passkeys.prefix, o.passkeys.accounts, 'P');
      for (let from = 0; from < ids.length; from += 50) {
        await Promise.all(
          ids.slice(from, from + 50).map(async (id) => {
            const account = (await core.repos.accounts.findById(id))!;
            const { options, challenge } = await enrolment.beginRegistration(account, []);
            const { response, credential } = device.create(options);
            const outcome = await enrolment.finishRegistration(id, response, challenge, { label: 'bench passkey' });
            if (outcome.kind !== 'enrolled') throw new Error(`passkey enrolment: ${outcome.kind}`);
            passkeys.push({ id: credential.id.toString('base64url'), userHandle: credential.userHandle, privateKey: credential.privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64'), cosePublicKey: credential.cosePublicKey.toString('base64') });
          }),
        );
      }
    }
    if (o.totp) {
      // Through the factors repository, as seedTotp does: the TOTP secret is sealed at rest.
      const data: TotpData = { secret: o.totp.secret, algorithm: 'SHA1', digits: 6, period: 30 };
      const ids = await bulk(o.totp.prefix, o.totp.accounts, 'T');
      for (let from = 0; from < ids.length; from += 100) {
        await Promise.all(ids.slice(from, from + 100).map((accountId) => core.repos.factors.create<TotpData>({ accountId, kind: 'totp', label: 'bench app', data, counter: null })));
      }
    }
    return { accounts: Number(n), ms: Date.now() - started, passkeys };
  } finally {
    await core.close();
  }
}

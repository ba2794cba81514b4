import type { Account, NewAccount } from '../domain/account.js';
import type { Repositories } from '../domain/ports.js';
import type { PasswordHasher } from '../domain/password-hasher.js';
import type { Clock } from '../lib/clock.js';
import { GuichetError } from '../errors/codes.js';
import type { Fixture } from './fixture.js';
import type { CredentialKind } from '../domain/credential.js';
import { normaliseForHash } from '../authenticators/secret/secret-authenticator.js';
import { decodeBase32, encodeBase32 } from '../authenticators/oath/oath-codes.js';
import type { TotpData } from '../authenticators/oath/oath-credential.js';

export interface AdminDependencies {
  repos: Repositories;
  hasher: PasswordHasher;
  clock: Clock;
}

/** Administrative changes, shared by the CLI and the demo seed; each one leaves an audit event. */
export function createAccountAdmin({ repos, hasher, clock }: AdminDependencies, actor: string) {
  async function addAccount(input: NewAccount & { subscription?: string | undefined }): Promise<Account> {
    let subscriptionId: string | null = null;
    if (input.subscription) {
      const subscription = await repos.subscriptions.findByIdentifier(input.subscription);
      if (!subscription) throw new GuichetError('not_found', `no subscription ${input.subscription}`);
      subscriptionId = subscription.id;
    }
    const { subscription: _ignored, ...rest } = input;
    try {
      const account = await repos.accounts.create({ ...rest, subscriptionId });
      await repos.audit.record({ action: 'admin.account.add', result: 'success', actor, accountId: account.id });
      return account;
    } catch (e) {
      if ((e as { code?: string }).code === '23505') throw new GuichetError('conflict', 'an account with that username, user number or e-mail exists');
      throw e;
    }
  }

  async function setSecret(accountId: string, kind: CredentialKind, secret: string, mustChange: boolean): Promise<void> {
    const secretHash = await hasher.hash(normaliseForHash(secret));
    await repos.credentials.upsert({ accountId, kind, secretHash, setAt: clock.now(), mustChange, expiresAt: null });
    await repos.audit.record({ action: `admin.${kind}.set`, result: 'success', actor, accountId, details: { mustChange } });
  }

  const setPassword = (accountId: string, password: string, mustChange: boolean) => setSecret(accountId, 'password', password, mustChange);

  async function setStatus(accountId: string, status: Account['status']): Promise<void> {
    await repos.accounts.setStatus(accountId, status);
    await repos.audit.record({ action: `admin.account.${status === 'suspended' ? 'suspend' : 'status'}`, result: 'success', actor, accountId, details: { status } });
  }

  /**
   * Seed data only: stores a TOTP credential with a known secret, without the first code that
   * `guichet factor enrol-totp` asks for (a demo account whose secret is documented).
   */
  async function seedTotp(accountId: string, secret: string): Promise<void> {
    const data: TotpData = { secret: encodeBase32(decodeBase32(secret)), algorithm: 'SHA1', digits: 6, period: 30 };
    const credential = await repos.factors.create<TotpData>({ accountId, kind: 'totp', label: 'demo app', data, counter: null });
    await repos.audit.record({ action: 'admin.factor.seed', result: 'success', actor, accountId, details: { kind: 'totp', credentialId: credential.id } });
  }

  /** Applies a fixture; what exists already (same identifier, username or user number) is kept. */
  async function seed(fixture: Fixture): Promise<{ subscriptions: number; accounts: number; clients: number }> {
    const counts = { subscriptions: 0, accounts: 0, clients: 0 };
    for (const s of fixture.subscriptions) {
      if (await repos.subscriptions.findByIdentifier(s.identifier)) continue;
      await repos.subscriptions.create(s);
      counts.subscriptions++;
    }
    for (const a of fixture.accounts) {
      const identifier = a.username ? ({ scheme: 'username', username: a.username } as const) : ({ scheme: 'subscription', subscription: a.subscription!, userNumber: a.userNumber! } as const);
      if (await repos.accounts.findByIdentifier(identifier)) continue;
      const { password, passwordMustChange, pin, totp, ...fields } = a;
      const account = await addAccount(fields);
      if (password) await setPassword(account.id, password, passwordMustChange);
      if (pin) await setSecret(account.id, 'pin', pin, passwordMustChange);
      if (totp) await seedTotp(account.id, totp.secret);
      counts.accounts++;
    }
    for (const { client_id, first_party, ...metadata } of fixture.clients) {
      await repos.clients.save({ clientId: client_id, metadata, firstParty: first_party });
      await repos.audit.record({ action: 'admin.client.save', result: 'success', actor, clientId: client_id });
      counts.clients++;
    }
    return counts;
  }

  return { addAccount, setPassword, setSecret, setStatus, seed };
}

export type AccountAdmin = ReturnType<typeof createAccountAdmin>;

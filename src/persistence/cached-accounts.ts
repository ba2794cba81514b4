import type { Account, Subscription } from '../domain/account.js';
import type { AccountRepository, ExpiringStore, SubscriptionRepository } from '../domain/ports.js';

const ACCOUNT_TTL = 30;
const SUBSCRIPTION_TTL = 300;

/**
 * Accounts read by id on every refresh and userinfo call are cached in the shared store (Redis), so
 * those paths make no Postgres query; every write through the repository drops the cached copy, in
 * every process at once. A suspension thus takes effect on the next call.
 */
export function cacheAccounts(inner: AccountRepository, store: ExpiringStore): AccountRepository {
  const key = (id: string) => `cache:account:${id}`;
  const revive = (raw: string): Account => {
    const a = JSON.parse(raw) as Account & { createdAt: string; updatedAt: string };
    return { ...a, createdAt: new Date(a.createdAt), updatedAt: new Date(a.updatedAt) };
  };
  return {
    ...inner,
    async findById(id) {
      const cached = await store.get(key(id));
      if (cached) return revive(cached);
      const account = await inner.findById(id);
      if (account) await store.set(key(id), JSON.stringify(account), ACCOUNT_TTL);
      return account;
    },
    async setStatus(id, status) {
      await inner.setStatus(id, status);
      await store.delete(key(id));
    },
    async update(id, patch) {
      const result = await inner.update(id, patch);
      await store.delete(key(id));
      return result;
    },
  };
}

export function cacheSubscriptions(inner: SubscriptionRepository, store: ExpiringStore): SubscriptionRepository {
  const key = (id: string) => `cache:subscription:${id}`;
  return {
    ...inner,
    async findById(id) {
      const cached = await store.get(key(id));
      if (cached) return JSON.parse(cached) as Subscription;
      const subscription = await inner.findById(id);
      if (subscription) await store.set(key(id), JSON.stringify(subscription), SUBSCRIPTION_TTL);
      return subscription;
    },
  };
}

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
    /**
     * A login reads the account anyway: the cache gets it, for the findAccount calls that end the
     * login. The write is not awaited: it rides along with the login's next command on the same
     * connection (one round trip fewer), and commands on a connection keep their order, so a later
     * write's invalidation still lands after it. A failed fill only leaves the cache empty.
     */
    async findForLogin(identifier, kind) {
      const found = await inner.findForLogin(identifier, kind);
      if (found) store.set(key(found.account.id), JSON.stringify(found.account), ACCOUNT_TTL).catch(() => undefined);
      return found;
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

/**
 * Subscriptions are read on every login, token and userinfo call (claims) and are never changed
 * once created: this process keeps them a few minutes (no round trip), in front of the shared copy.
 */
export function cacheSubscriptions(inner: SubscriptionRepository, store: ExpiringStore, now: () => number = Date.now): SubscriptionRepository {
  const key = (id: string) => `cache:subscription:${id}`;
  const local = new Map<string, { at: number; subscription: Subscription }>();
  const keep = (subscription: Subscription) => {
    if (local.size >= 10_000) local.clear();
    local.set(subscription.id, { at: now(), subscription });
  };
  return {
    ...inner,
    async findById(id) {
      const hit = local.get(id);
      if (hit && now() - hit.at < SUBSCRIPTION_TTL * 1000) return hit.subscription;
      const cached = await store.get(key(id));
      const subscription = cached ? (JSON.parse(cached) as Subscription) : await inner.findById(id);
      if (subscription && !cached) await store.set(key(id), JSON.stringify(subscription), SUBSCRIPTION_TTL);
      if (subscription) keep(subscription);
      return subscription;
    },
  };
}

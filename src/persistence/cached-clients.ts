import type { ClientRecord } from '../domain/client.js';
import type { ClientRepository } from '../domain/ports.js';

/**
 * Clients are read on every authorization, token, userinfo and introspection call and on every
 * login page: found ones are kept in-process for a few seconds, so those paths make no Postgres
 * query. Only found clients are kept (a client just added works at once); `guichet client` changes
 * made elsewhere show within `ttlMs`.
 */
export function cacheClients(inner: ClientRepository, ttlMs = 10_000, now: () => number = Date.now): ClientRepository {
  const cache = new Map<string, { at: number; record: ClientRecord }>();
  return {
    ...inner,
    async find(clientId) {
      const hit = cache.get(clientId);
      if (hit && now() - hit.at < ttlMs) return hit.record;
      const record = await inner.find(clientId);
      if (cache.size > 10_000) cache.clear();
      if (record) cache.set(clientId, { at: now(), record });
      else cache.delete(clientId);
      return record;
    },
    async save(input) {
      cache.delete(input.clientId);
      return inner.save(input);
    },
    async remove(clientId) {
      cache.delete(clientId);
      return inner.remove(clientId);
    },
  };
}

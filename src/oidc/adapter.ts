import { errors } from 'oidc-provider';
import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { ClientRepository, ExpiringStore } from '../domain/ports.js';

/** Models whose records belong to a grant: revoking the grant removes them all. */
const GRANT_BOUND = new Set(['AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest', 'ClientCredentials', 'Grant']);
const REVOKED_TTL = 24 * 3600;

const key = (model: string, id: string) => `oidc:${model}:${id}`;
const grantIndex = (grantId: string) => `oidc:grant:${grantId}`;
const revokedGrant = (grantId: string) => `oidc:revoked-grant:${grantId}`;
const consumedMark = (model: string, id: string) => `oidc:consumed:${model}:${id}`;

/**
 * oidc-provider's storage for every expiring model, over the ExpiringStore contract (Redis or memory).
 * Clients are not expiring: they are read from Postgres so that `guichet client add` needs no restart.
 * Consumption is atomic (SET NX): of two parallel redemptions of one code exactly one wins, and the
 * loser revokes the grant (RFC 6749 §4.1.2).
 */
export function createAdapterFactory(store: ExpiringStore, clients: ClientRepository) {
  async function revokeGrant(grantId: string): Promise<void> {
    await store.set(revokedGrant(grantId), '1', REVOKED_TTL);
    const members = await store.members(grantIndex(grantId));
    await store.delete(...members, grantIndex(grantId));
  }

  class ClientAdapter implements Adapter {
    async upsert(): Promise<void> {
      throw new Error('clients are managed with `guichet client`');
    }
    async find(id: string): Promise<AdapterPayload | undefined> {
      const record = await clients.find(id);
      return record ? ({ ...record.metadata, client_id: record.clientId } as AdapterPayload) : undefined;
    }
    async findByUserCode(): Promise<undefined> {
      return undefined;
    }
    async findByUid(): Promise<undefined> {
      return undefined;
    }
    async consume(): Promise<void> {}
    async destroy(): Promise<void> {}
    async revokeByGrantId(): Promise<void> {}
  }

  class StoreAdapter implements Adapter {
    constructor(readonly model: string) {}

    async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
      const ttl = expiresIn && expiresIn > 0 ? expiresIn : undefined;
      const { grantId, uid, userCode } = payload;
      const bound = Boolean(grantId) && GRANT_BOUND.has(this.model);
      if (bound) await store.addToSet(grantIndex(grantId!), key(this.model, id), ttl ?? REVOKED_TTL);
      await store.set(key(this.model, id), JSON.stringify(payload), ttl);
      // Checked after writing: a revocation racing this write either sees the record or is seen here.
      if (bound && this.model !== 'Grant' && (await store.get(revokedGrant(grantId!)))) {
        await store.delete(key(this.model, id));
        throw new errors.InvalidGrant('grant was revoked');
      }
      if (uid) await store.set(key(`${this.model}:uid`, uid), id, ttl);
      if (userCode) await store.set(key(`${this.model}:userCode`, userCode), id, ttl);
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      const raw = await store.get(key(this.model, id));
      if (!raw) return undefined;
      const payload = JSON.parse(raw) as AdapterPayload;
      const consumed = await store.get(consumedMark(this.model, id));
      if (consumed) payload.consumed = Number(consumed);
      return payload;
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      const id = await store.get(key(`${this.model}:uid`, uid));
      return id ? this.find(id) : undefined;
    }

    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      const id = await store.get(key(`${this.model}:userCode`, userCode));
      return id ? this.find(id) : undefined;
    }

    async consume(id: string): Promise<void> {
      const ttl = (await store.ttl(key(this.model, id))) ?? REVOKED_TTL;
      const first = await store.setIfAbsent(consumedMark(this.model, id), String(Math.floor(Date.now() / 1000)), ttl);
      if (!first) {
        const payload = await this.find(id);
        if (payload?.grantId) await revokeGrant(payload.grantId);
        throw new errors.InvalidGrant('grant source already consumed');
      }
    }

    async destroy(id: string): Promise<void> {
      const payload = await this.find(id);
      const keys = [key(this.model, id), consumedMark(this.model, id)];
      if (payload?.uid) keys.push(key(`${this.model}:uid`, payload.uid));
      if (payload?.userCode) keys.push(key(`${this.model}:userCode`, payload.userCode));
      await store.delete(...keys);
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      await revokeGrant(grantId);
    }
  }

  return (model: string): Adapter => (model === 'Client' ? new ClientAdapter() : new StoreAdapter(model));
}

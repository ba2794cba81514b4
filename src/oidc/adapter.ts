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
 * A grant index lists its records as `Model:id`, short enough for Redis' compact small-hash
 * encoding (ExpiringStore.setTracked); indexes written before that hold full keys.
 */
const indexMember = (model: string, id: string) => `${model}:${id}`;
const memberKey = (member: string) => (member.startsWith('oidc:') ? member : `oidc:${member}`);

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
    await store.delete(...members.map(memberKey), grantIndex(grantId));
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
      const value = JSON.stringify(payload);
      const writes: { key: string; value: string; ttlSeconds?: number }[] = [];
      if (grantId && GRANT_BOUND.has(this.model)) {
        // Indexed under its grant and written unless the grant is revoked, in one atomic step: a
        // revocation racing this write either refuses it or finds it in the index.
        const track = { set: grantIndex(grantId), member: indexMember(this.model, id), setTtlSeconds: ttl ?? REVOKED_TTL, unless: this.model === 'Grant' ? undefined : revokedGrant(grantId) };
        if (!(await store.setTracked(key(this.model, id), value, ttl, track))) throw new errors.InvalidGrant('grant was revoked');
      } else {
        writes.push({ key: key(this.model, id), value, ttlSeconds: ttl });
      }
      if (uid) writes.push({ key: key(`${this.model}:uid`, uid), value: id, ttlSeconds: ttl });
      if (userCode) writes.push({ key: key(`${this.model}:userCode`, userCode), value: id, ttlSeconds: ttl });
      if (writes.length === 1) await store.set(writes[0]!.key, writes[0]!.value, ttl);
      else if (writes.length > 1) await store.setMany(writes);
    }

    /** The record and its consumed mark in one round trip. */
    async find(id: string): Promise<AdapterPayload | undefined> {
      const [raw, consumed] = await store.getMany([key(this.model, id), consumedMark(this.model, id)]);
      if (!raw) return undefined;
      const payload = JSON.parse(raw) as AdapterPayload;
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
      // The mark lives as long as the record it marks.
      const first = await store.setIfAbsentLike(consumedMark(this.model, id), String(Math.floor(Date.now() / 1000)), key(this.model, id), REVOKED_TTL);
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

import { describe, test, expect, beforeAll, afterAll } from '@jest/globals';
import { errors, type Adapter, type AdapterPayload } from 'oidc-provider';
import type { ClientRecord } from '../../src/domain/client.js';
import type { ClientRepository } from '../../src/domain/ports.js';
import { randomToken } from '../../src/lib/random.js';
import { createAdapterFactory } from '../../src/oidc/adapter.js';
import { openMemoryStore, openRedisStore, type StoreHarness } from '../store/store-harness.js';

/** Clients live in Postgres in production; the adapter only needs the port. */
function createStubClientRepository(records: ClientRecord[]): ClientRepository {
  const byId = new Map(records.map((r) => [r.clientId, r]));
  return {
    async find(clientId) {
      return byId.get(clientId) ?? null;
    },
    async list() {
      return [...byId.values()];
    },
    async save(input) {
      const record = { ...input, createdAt: new Date() };
      byId.set(input.clientId, record);
      return record;
    },
    async remove(clientId) {
      return byId.delete(clientId);
    },
  };
}

const CLIENT: ClientRecord = {
  clientId: 'bank-portal',
  metadata: { client_secret: 'secret-of-the-bank-portal', redirect_uris: ['https://portal.example.test/cb'], grant_types: ['authorization_code', 'refresh_token'] },
  firstParty: true,
  createdAt: new Date('2030-01-01T00:00:00Z'),
};

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** A token payload as oidc-provider writes it for a grant-bound model. */
function tokenPayload(kind: string, grantId: string, extra: Partial<AdapterPayload> = {}): AdapterPayload {
  const iat = nowSeconds();
  return { jti: randomToken(), kind, grantId, accountId: 'account-1', clientId: CLIENT.clientId, iat, exp: iat + 60, scope: 'openid', ...extra };
}

/** One grant with a code, an access token and a refresh token, as after a token response. */
async function issueGrant(adapterFor: (model: string) => Adapter, grantId = randomToken()) {
  const code = tokenPayload('AuthorizationCode', grantId, { redirectUri: 'https://portal.example.test/cb' });
  const accessToken = tokenPayload('AccessToken', grantId);
  const refreshToken = tokenPayload('RefreshToken', grantId);
  await adapterFor('AuthorizationCode').upsert(code.jti!, code, 60);
  await adapterFor('AccessToken').upsert(accessToken.jti!, accessToken, 600);
  await adapterFor('RefreshToken').upsert(refreshToken.jti!, refreshToken, 3600);
  return { grantId, code: code.jti!, accessToken: accessToken.jti!, refreshToken: refreshToken.jti! };
}

type Issued = Awaited<ReturnType<typeof issueGrant>>;

async function recordsOf(adapterFor: (model: string) => Adapter, issued: Issued) {
  return {
    code: await adapterFor('AuthorizationCode').find(issued.code),
    accessToken: await adapterFor('AccessToken').find(issued.accessToken),
    refreshToken: await adapterFor('RefreshToken').find(issued.refreshToken),
  };
}

function describeAdapter(name: string, open: () => Promise<StoreHarness>): void {
  describe(`oidc-provider adapter over the ${name}`, () => {
    let harness: StoreHarness;
    let adapterFor: (model: string) => Adapter;

    beforeAll(async () => {
      harness = await open();
      adapterFor = createAdapterFactory(harness.store, createStubClientRepository([CLIENT]));
    });
    afterAll(async () => {
      await harness?.cleanup();
    });

    test('upsert then find returns the payload; an unknown id is undefined', async () => {
      const adapter = adapterFor('AccessToken');
      const payload = tokenPayload('AccessToken', randomToken(), { claims: { userinfo: { email: null } }, extra: { note: 'é' } });
      await adapter.upsert(payload.jti!, payload, 600);
      expect(await adapter.find(payload.jti!)).toEqual(payload);
      expect(await adapter.find(randomToken())).toBeUndefined();
    });

    test('upsert replaces a record; models do not share ids', async () => {
      const id = randomToken();
      await adapterFor('Session').upsert(id, { jti: id, kind: 'Session', accountId: 'a' }, 600);
      await adapterFor('Session').upsert(id, { jti: id, kind: 'Session', accountId: 'b' }, 600);
      expect(await adapterFor('Session').find(id)).toMatchObject({ accountId: 'b' });
      expect(await adapterFor('Interaction').find(id)).toBeUndefined();
    });

    test('a record lives as long as expiresIn', async () => {
      const adapter = adapterFor('Interaction');
      const id = randomToken();
      await adapter.upsert(id, { jti: id, kind: 'Interaction', returnTo: 'https://op.example.test/auth/x' }, 1);
      expect(await adapter.find(id)).toBeDefined();
      await harness.advance(1.3);
      expect(await adapter.find(id)).toBeUndefined();
    });

    test('findByUid finds a record by its uid', async () => {
      const adapter = adapterFor('Session');
      const id = randomToken();
      const uid = randomToken();
      await adapter.upsert(id, { jti: id, uid, kind: 'Session', accountId: 'account-1' }, 600);
      expect(await adapter.findByUid(uid)).toMatchObject({ jti: id, uid, accountId: 'account-1' });
      expect(await adapter.findByUid(randomToken())).toBeUndefined();
    });

    test('findByUserCode finds a device code by its user code', async () => {
      const adapter = adapterFor('DeviceCode');
      const id = randomToken();
      await adapter.upsert(id, { jti: id, kind: 'DeviceCode', userCode: 'WDJB-MJHT', clientId: CLIENT.clientId }, 600);
      expect(await adapter.findByUserCode('WDJB-MJHT')).toMatchObject({ jti: id });
      expect(await adapter.findByUserCode('XXXX-XXXX')).toBeUndefined();
    });

    test('destroy removes the record and its uid lookup', async () => {
      const adapter = adapterFor('Session');
      const id = randomToken();
      const uid = randomToken();
      await adapter.upsert(id, { jti: id, uid, kind: 'Session', accountId: 'account-1' }, 600);
      await adapter.destroy(id);
      expect(await adapter.find(id)).toBeUndefined();
      expect(await adapter.findByUid(uid)).toBeUndefined();
      await expect(adapter.destroy(randomToken())).resolves.toBeUndefined();
    });

    test('consume marks the record consumed with a timestamp', async () => {
      const issued = await issueGrant(adapterFor);
      const adapter = adapterFor('AuthorizationCode');
      expect((await adapter.find(issued.code))?.consumed).toBeUndefined();
      const before = nowSeconds();
      await adapter.consume(issued.code);
      const consumed = (await adapter.find(issued.code))?.consumed as unknown;
      expect(typeof consumed).toBe('number');
      expect(consumed as number).toBeGreaterThanOrEqual(before);
      expect(consumed as number).toBeLessThanOrEqual(nowSeconds());
    });

    test('OIDC-12 a code consumed twice revokes the grant', async () => {
      const issued = await issueGrant(adapterFor);
      const other = await issueGrant(adapterFor);
      const codes = adapterFor('AuthorizationCode');
      await codes.consume(issued.code);
      expect(await recordsOf(adapterFor, issued)).toMatchObject({ accessToken: { grantId: issued.grantId }, refreshToken: { grantId: issued.grantId } });

      const second = codes.consume(issued.code);
      await expect(second).rejects.toBeInstanceOf(errors.InvalidGrant);
      await expect(second).rejects.toMatchObject({ error: 'invalid_grant' });

      expect(await recordsOf(adapterFor, issued)).toEqual({ code: undefined, accessToken: undefined, refreshToken: undefined });
      const untouched = await recordsOf(adapterFor, other);
      expect(untouched.code).toBeDefined();
      expect(untouched.accessToken).toBeDefined();
      expect(untouched.refreshToken).toBeDefined();
    });

    test('ASVS-31 a code is single use', async () => {
      const issued = await issueGrant(adapterFor);
      const other = await issueGrant(adapterFor);
      const codes = adapterFor('AuthorizationCode');

      const outcomes = await Promise.allSettled(Array.from({ length: 20 }, () => codes.consume(issued.code)));

      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      const rejections = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as unknown] : []));
      expect(rejections).toHaveLength(19);
      for (const reason of rejections) expect(reason).toBeInstanceOf(errors.InvalidGrant);

      // The losers revoked the grant: nothing issued from that code is left.
      expect(await recordsOf(adapterFor, issued)).toEqual({ code: undefined, accessToken: undefined, refreshToken: undefined });
      expect((await recordsOf(adapterFor, other)).accessToken).toBeDefined();
    });

    test("revokeByGrantId removes the grant's access token, refresh token and code, not another grant's", async () => {
      const revoked = await issueGrant(adapterFor);
      const kept = await issueGrant(adapterFor);
      await adapterFor('AccessToken').revokeByGrantId(revoked.grantId);

      expect(await recordsOf(adapterFor, revoked)).toEqual({ code: undefined, accessToken: undefined, refreshToken: undefined });
      const stillThere = await recordsOf(adapterFor, kept);
      expect(stillThere.code).toMatchObject({ grantId: kept.grantId });
      expect(stillThere.accessToken).toMatchObject({ grantId: kept.grantId });
      expect(stillThere.refreshToken).toMatchObject({ grantId: kept.grantId });
    });

    test('after revocation a new access token for the grant is refused', async () => {
      const revoked = await issueGrant(adapterFor);
      const kept = await issueGrant(adapterFor);
      await adapterFor('RefreshToken').revokeByGrantId(revoked.grantId);

      const late = tokenPayload('AccessToken', revoked.grantId);
      const upsert = adapterFor('AccessToken').upsert(late.jti!, late, 600);
      await expect(upsert).rejects.toBeInstanceOf(errors.InvalidGrant);
      expect(await adapterFor('AccessToken').find(late.jti!)).toBeUndefined();

      const lateRefresh = tokenPayload('RefreshToken', revoked.grantId);
      await expect(adapterFor('RefreshToken').upsert(lateRefresh.jti!, lateRefresh, 600)).rejects.toBeInstanceOf(errors.InvalidGrant);

      const fine = tokenPayload('AccessToken', kept.grantId);
      await adapterFor('AccessToken').upsert(fine.jti!, fine, 600);
      expect(await adapterFor('AccessToken').find(fine.jti!)).toEqual(fine);
    });

    test('the Client model reads from the ClientRepository and refuses writes', async () => {
      const clients = adapterFor('Client');
      expect(await clients.find(CLIENT.clientId)).toEqual({ ...CLIENT.metadata, client_id: CLIENT.clientId });
      expect(await clients.find('unknown-client')).toBeUndefined();
      await expect(clients.upsert('rogue', { client_id: 'rogue' }, 0)).rejects.toThrow(/guichet client/);
      expect(await clients.find('rogue')).toBeUndefined();
    });
  });
}

describeAdapter('memory store', openMemoryStore);
describeAdapter('Redis store', openRedisStore);

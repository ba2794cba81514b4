import { test, expect } from '@jest/globals';
import { describeStoreContract } from './store-contract.js';
import { openRedisStore } from './store-harness.js';

describeStoreContract('Redis store (real Redis, own key prefix)', openRedisStore);

test('sets are compact hashes, and sets written as Redis sets before that still work', async () => {
  const harness = await openRedisStore();
  const { store } = harness;
  const client = (store as unknown as { client: import('ioredis').Redis }).client;
  try {
    await store.addToSet('compact', 'Model:1', 60);
    expect(await client.type('compact')).toBe('hash');
    expect(await client.object('ENCODING', 'compact')).toBe('listpack');

    await client.sadd('legacy', 'oidc:Model:old');
    await store.addToSet('legacy', 'Model:new', 60);
    expect(await store.setTracked('record', 'v', 60, { set: 'legacy', member: 'Model:tracked', setTtlSeconds: 60 })).toBe(true);
    expect(await client.type('legacy')).toBe('set');
    expect((await store.members('legacy')).sort()).toEqual(['Model:new', 'Model:tracked', 'oidc:Model:old']);
  } finally {
    await harness.cleanup();
  }
});

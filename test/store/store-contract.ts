import { describe, test, expect, beforeAll, afterAll } from '@jest/globals';
import type { ExpiringStore } from '../../src/domain/ports.js';

interface ContractSubject {
  store: ExpiringStore;
  /** Lets time pass: moves a manual clock, or really waits. */
  advance(seconds: number): Promise<void>;
  cleanup(): Promise<void>;
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/**
 * The ExpiringStore contract (src/domain/ports.ts), run on every implementation.
 * TTLs stay at 1–2 s and only two tests wait, so a real Redis runs it in a few seconds.
 */
export function describeStoreContract(name: string, makeStore: () => Promise<ContractSubject>): void {
  describe(`ExpiringStore contract: ${name}`, () => {
    let subject: ContractSubject;
    let store: ExpiringStore;
    let n = 0;
    /** A key of its own for each use, so tests never meet. */
    const fresh = (label: string): string => `contract:${label}:${++n}`;

    beforeAll(async () => {
      subject = await makeStore();
      store = subject.store;
    });
    afterAll(async () => {
      await subject?.cleanup();
    });

    test('ping answers', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });

    test('get returns what set stored, and null for an absent key', async () => {
      const key = fresh('get');
      expect(await store.get(key)).toBeNull();
      await store.set(key, 'first value');
      expect(await store.get(key)).toBe('first value');
      await store.set(key, 'second value');
      expect(await store.get(key)).toBe('second value');
    });

    test('values round-trip unchanged (JSON, unicode, empty string)', async () => {
      const json = fresh('json');
      const unicode = fresh('unicode');
      const empty = fresh('empty');
      const payload = JSON.stringify({ a: 1, nested: { list: [true, null, 'x'] } });
      await store.set(json, payload);
      await store.set(unicode, 'Crédit « assuré » ✓');
      await store.set(empty, '');
      expect(await store.get(json)).toBe(payload);
      expect(await store.get(unicode)).toBe('Crédit « assuré » ✓');
      expect(await store.get(empty)).toBe('');
    });

    test('delete removes one or several keys and ignores absent ones', async () => {
      const [a, b, c, absent] = [fresh('del'), fresh('del'), fresh('del'), fresh('del')];
      await store.set(a, '1');
      await store.set(b, '2');
      await store.set(c, '3');
      await store.delete(a);
      expect(await store.get(a)).toBeNull();
      expect(await store.get(b)).toBe('2');
      await store.delete(b, c, absent);
      expect(await store.get(b)).toBeNull();
      expect(await store.get(c)).toBeNull();
      await expect(store.delete()).resolves.toBeUndefined();
    });

    test('ttl is null for an absent key and for a key without TTL', async () => {
      const absent = fresh('ttl-absent');
      const forever = fresh('ttl-forever');
      await store.set(forever, 'v');
      expect(await store.ttl(absent)).toBeNull();
      expect(await store.ttl(forever)).toBeNull();
    });

    test('ttl reports the remaining whole seconds of a key set with a TTL', async () => {
      const key = fresh('ttl');
      await store.set(key, 'v', 120);
      const ttl = await store.ttl(key);
      expect(ttl).not.toBeNull();
      expect(ttl!).toBeGreaterThanOrEqual(118);
      expect(ttl!).toBeLessThanOrEqual(120);
    });

    test('set without a TTL makes a key that had one permanent', async () => {
      const key = fresh('persist');
      await store.set(key, 'v', 120);
      await store.set(key, 'w');
      expect(await store.ttl(key)).toBeNull();
      expect(await store.get(key)).toBe('w');
    });

    test('keys expire after their TTL; keys without one stay', async () => {
      const plain = fresh('exp-set');
      const onlyIfAbsent = fresh('exp-nx');
      const set = fresh('exp-sadd');
      const counter = fresh('exp-incr');
      const forever = fresh('exp-forever');
      await store.set(plain, 'v', 1);
      expect(await store.setIfAbsent(onlyIfAbsent, 'v', 1)).toBe(true);
      await store.addToSet(set, 'm', 1);
      expect(await store.increment(counter, 1)).toBe(1);
      await store.set(forever, 'v');

      await subject.advance(1.3);

      expect(await store.get(plain)).toBeNull();
      expect(await store.ttl(plain)).toBeNull();
      expect(await store.get(onlyIfAbsent)).toBeNull();
      expect(await store.setIfAbsent(onlyIfAbsent, 'again', 60)).toBe(true);
      expect(await store.members(set)).toEqual([]);
      expect(await store.increment(counter, 60)).toBe(1);
      expect(await store.get(forever)).toBe('v');
    });

    test('setIfAbsent sets only an absent key and says whether this call set it', async () => {
      const key = fresh('nx');
      expect(await store.setIfAbsent(key, 'first', 60)).toBe(true);
      expect(await store.setIfAbsent(key, 'second', 60)).toBe(false);
      expect(await store.get(key)).toBe('first');
      const ttl = await store.ttl(key);
      expect(ttl).not.toBeNull();
      expect(ttl!).toBeLessThanOrEqual(60);

      const permanent = fresh('nx-permanent');
      expect(await store.setIfAbsent(permanent, 'v')).toBe(true);
      expect(await store.ttl(permanent)).toBeNull();
    });

    test('setIfAbsent is atomic: of 50 parallel calls on one key exactly one wins', async () => {
      const key = fresh('nx-race');
      const results = await Promise.all(range(1, 50).map((i) => store.setIfAbsent(key, `caller-${i}`, 60)));
      const winners = results.flatMap((won, i) => (won ? [i + 1] : []));
      expect(winners).toHaveLength(1);
      expect(await store.get(key)).toBe(`caller-${winners[0]}`);
    });

    test('addToSet collects distinct members; members of an absent set is empty', async () => {
      const key = fresh('set');
      expect(await store.members(key)).toEqual([]);
      await store.addToSet(key, 'a', 60);
      await store.addToSet(key, 'b', 60);
      await store.addToSet(key, 'a', 60);
      expect((await store.members(key)).sort()).toEqual(['a', 'b']);
      await store.delete(key);
      expect(await store.members(key)).toEqual([]);
    });

    test('addToSet extends the TTL of the set but never shortens it', async () => {
      const key = fresh('set-ttl');
      await store.addToSet(key, 'a', 2);
      const first = await store.ttl(key);
      expect(first).not.toBeNull();
      expect(first!).toBeLessThanOrEqual(2);

      await store.addToSet(key, 'b', 120);
      const extended = await store.ttl(key);
      expect(extended!).toBeGreaterThan(100);
      expect(extended!).toBeLessThanOrEqual(120);

      await store.addToSet(key, 'c', 1);
      expect((await store.ttl(key))!).toBeGreaterThan(100);
      expect((await store.members(key)).sort()).toEqual(['a', 'b', 'c']);
    });

    test('increment is atomic: 50 parallel increments return 1..50, each once, and leave 50', async () => {
      const key = fresh('incr-race');
      const values = await Promise.all(range(1, 50).map(() => store.increment(key, 60)));
      expect([...values].sort((a, b) => a - b)).toEqual(range(1, 50));
      expect(new Set(values).size).toBe(50);
      // The counter holds 50: the next increment makes it 51.
      expect(await store.increment(key, 60)).toBe(51);
    });

    test('increment starts the TTL at the first increment only', async () => {
      const key = fresh('incr-ttl');
      expect(await store.increment(key, 1)).toBe(1);
      expect(await store.increment(key, 120)).toBe(2);
      expect(await store.increment(key, 120)).toBe(3);
      const ttl = await store.ttl(key);
      expect(ttl).not.toBeNull();
      expect(ttl!).toBeLessThanOrEqual(1);

      // Later increments did not extend the window: the counter expires one second after it began.
      await subject.advance(1.3);
      expect(await store.increment(key, 120)).toBe(1);
      expect((await store.ttl(key))!).toBeGreaterThan(100);
    });

    test('getMany reads several keys in order, null where absent', async () => {
      const [a, absent, b] = [fresh('mget'), fresh('mget'), fresh('mget')];
      await store.set(a, 'A');
      await store.set(b, 'B');
      expect(await store.getMany([a, absent, b])).toEqual(['A', null, 'B']);
      expect(await store.getMany([])).toEqual([]);
    });

    test('setMany writes every entry with its own TTL', async () => {
      const [a, b] = [fresh('mset'), fresh('mset')];
      await store.setMany([
        { key: a, value: '1', ttlSeconds: 120 },
        { key: b, value: '2' },
      ]);
      expect(await store.getMany([a, b])).toEqual(['1', '2']);
      expect((await store.ttl(a))!).toBeGreaterThan(100);
      expect(await store.ttl(b)).toBeNull();
    });

    test('incrementFrom starts an absent counter at the initial value, then counts like increment', async () => {
      const key = fresh('incr-from');
      expect(await store.incrementFrom(key, 3, 120)).toBe(4);
      expect(await store.incrementFrom(key, 3, 120)).toBe(5);
      expect(await store.increment(key, 120)).toBe(6);
      expect((await store.ttl(key))!).toBeGreaterThan(100);
      const zero = fresh('incr-from-zero');
      expect(await store.incrementFrom(zero, 0, 120)).toBe(1);
    });

    test('incrementFrom is atomic: 50 parallel calls from 2 return 3..52, each once', async () => {
      const key = fresh('incr-from-race');
      const values = await Promise.all(range(1, 50).map(() => store.incrementFrom(key, 2, 60)));
      expect([...values].sort((a, b) => a - b)).toEqual(range(3, 52));
    });

    test('setTracked writes the key and lists its member, unless the marker exists', async () => {
      const [key, set, marker, refused] = [fresh('tracked'), fresh('tracked-set'), fresh('tracked-marker'), fresh('tracked')];
      expect(await store.setTracked(key, 'v', 120, { set, member: 'Model:1', setTtlSeconds: 300, unless: marker })).toBe(true);
      expect(await store.get(key)).toBe('v');
      expect((await store.ttl(key))!).toBeLessThanOrEqual(120);
      expect(await store.members(set)).toEqual(['Model:1']);
      expect((await store.ttl(set))!).toBeGreaterThan(200);

      await store.set(marker, '1', 60);
      expect(await store.setTracked(refused, 'w', 120, { set, member: 'Model:2', setTtlSeconds: 300, unless: marker })).toBe(false);
      expect(await store.get(refused)).toBeNull();
      expect(await store.members(set)).toEqual(['Model:1']);

      // Without a marker to check, and without a TTL, it always writes.
      const forever = fresh('tracked-forever');
      expect(await store.setTracked(forever, 'x', undefined, { set, member: 'Model:3', setTtlSeconds: 60 })).toBe(true);
      expect(await store.ttl(forever)).toBeNull();
      expect((await store.members(set)).sort()).toEqual(['Model:1', 'Model:3']);
      expect((await store.ttl(set))!).toBeGreaterThan(200);
    });

    test('setTracked against "mark, then delete the members": no write survives the revocation', async () => {
      const set = fresh('race-set');
      const marker = fresh('race-marker');
      const keys = range(1, 30).map(() => fresh('race-record'));
      const revoke = async () => {
        await store.set(marker, '1', 60);
        const members = await store.members(set);
        await store.delete(...members, set);
      };
      const results = await Promise.all([...keys.map((key) => store.setTracked(key, 'v', 60, { set, member: key, setTtlSeconds: 60, unless: marker })), revoke().then(() => 'revoked' as const)]);
      expect(results).toContain('revoked');
      expect(await store.getMany(keys)).toEqual(keys.map(() => null));
    });

    test('setIfAbsentLike takes the TTL of another key, or the fallback, and sets only once', async () => {
      const [record, mark, orphan] = [fresh('like-record'), fresh('like-mark'), fresh('like-orphan')];
      await store.set(record, 'r', 40);
      expect(await store.setIfAbsentLike(mark, 'first', record, 600)).toBe(true);
      expect(await store.setIfAbsentLike(mark, 'second', record, 600)).toBe(false);
      expect(await store.get(mark)).toBe('first');
      expect((await store.ttl(mark))!).toBeLessThanOrEqual(40);
      expect(await store.setIfAbsentLike(orphan, 'o', fresh('like-absent'), 600)).toBe(true);
      expect((await store.ttl(orphan))!).toBeGreaterThan(500);
      const raced = fresh('like-race');
      const wins = await Promise.all(range(1, 20).map((i) => store.setIfAbsentLike(raced, `c${i}`, record, 600)));
      expect(wins.filter(Boolean)).toHaveLength(1);
    });
  });
}

import { describe, expect, test } from '@jest/globals';
import { decideSca, sessionLevel } from '../../src/policy/sca-rules.js';
import { METHOD_IDS, PROFILES, resolvePolicy, type ScaPolicy } from '../../src/config/profiles.js';
import { checkClientPolicy, scaPolicyOf } from '../../src/policy/client-policy.js';
import { ConfigError, loadConfig } from '../../src/config/load.js';
import { createScaState } from '../../src/policy/sca-state.js';
import { createMemoryStore } from '../../src/persistence/memory-store.js';
import { ManualClock } from '../../src/lib/clock.js';

const DAY = 86_400_000;
const T0 = new Date('2027-02-01T10:00:00Z');
const psd2 = (overrides = {}): ScaPolicy => {
  const r = resolvePolicy('psd2', overrides);
  if (!r.ok) throw new Error(r.problems.join('; '));
  return r.policy;
};
const simpleAsk = { level: 'simple' as const, essential: false, reason: 'none' as const };
const known = (lastScaAt: Date | null) => ({ lastScaAt, deviceKnown: true, scaStillActive: false });

describe('SCA rules (decideSca)', () => {
  test('PSD2-23 SCA is due at first access (no SCA on record)', () => {
    expect(decideSca(simpleAsk, psd2(), known(null), T0)).toEqual({ level: 'sca', essential: true, reasons: ['sca_period_elapsed'] });
  });
  test('PSD2-23 a simple login at day 89 after the last SCA needs no SCA; at day 91 it does (90-day policy)', () => {
    expect(decideSca(simpleAsk, psd2(), known(T0), new Date(T0.getTime() + 89 * DAY)).level).toBe('simple');
    const day91 = decideSca(simpleAsk, psd2(), known(T0), new Date(T0.getTime() + 91 * DAY));
    expect(day91.level).toBe('sca');
    expect(day91.reasons).toEqual(['sca_period_elapsed']);
  });
  test('PSD2-23 a client with a 180-day period is still exempt at day 179, not at day 181', () => {
    expect(decideSca(simpleAsk, psd2({ periodDays: 180 }), known(T0), new Date(T0.getTime() + 179 * DAY)).level).toBe('simple');
    expect(decideSca(simpleAsk, psd2({ periodDays: 180 }), known(T0), new Date(T0.getTime() + 181 * DAY)).level).toBe('sca');
  });
  test('a new device requires SCA even within the period', () => {
    const d = decideSca(simpleAsk, psd2(), { lastScaAt: T0, deviceKnown: false, scaStillActive: false }, new Date(T0.getTime() + DAY));
    expect(d).toEqual({ level: 'sca', essential: true, reasons: ['new_device'] });
  });
  test('a request that asks for SCA keeps its reason and the rules add theirs', () => {
    const d = decideSca({ level: 'sca', essential: false, reason: 'acr_values' }, psd2(), { lastScaAt: null, deviceKnown: false, scaStillActive: false }, T0);
    expect(d.reasons).toEqual(['acr_values', 'sca_period_elapsed', 'new_device']);
    expect(d.essential).toBe(true);
  });
  test('the basic profile applies no periodic rule', () => {
    const r = resolvePolicy('basic', {});
    expect(r.ok && decideSca(simpleAsk, r.policy, { lastScaAt: null, deviceKnown: false, scaStillActive: false }, T0)).toEqual({ level: 'simple', essential: false, reasons: [] });
  });
  test('a client minimum above simple is essential and named', () => {
    const r = resolvePolicy('strict', {});
    expect(r.ok && decideSca(simpleAsk, r.policy, known(T0), new Date(T0.getTime() + DAY))).toEqual({ level: 'sca', essential: true, reasons: ['client_minimum'] });
  });
});

describe('policy profiles and their validators', () => {
  test('PSD2-23 a PSD2 client cannot be given a period over 180 days', () => {
    const r = resolvePolicy('psd2', { periodDays: 200 });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.problems[0]).toMatch(/200 is outside 1–180 days .*art\. 10/);
  });
  test('PSD2-10 a PSD2 client cannot be given an idle limit over 5 minutes', () => {
    const r = resolvePolicy('psd2', { idleSeconds: 301 });
    expect(!r.ok && r.problems[0]).toMatch(/art\. 4\(3\)\(d\)/);
  });
  test('the strict profile refuses turning off the new-device rule or a simple minimum', () => {
    const r = resolvePolicy('strict', { newDevice: false, minimumLevel: 'simple' });
    expect(!r.ok && r.problems).toHaveLength(2);
  });
  test('every profile’s own defaults pass its validators', () => {
    for (const id of Object.keys(PROFILES) as (keyof typeof PROFILES)[]) expect(resolvePolicy(id, {}).ok).toBe(true);
  });
});

describe('allowed methods (sca.allowedMethods, guichet_allowed_methods)', () => {
  const config = loadConfig({}, { sca: { allowedMethods: ['password', 'emv-cap', 'totp', 'webauthn'] } });
  const problems = (metadata: Record<string, unknown>) => {
    const r = checkClientPolicy(config, metadata);
    return r.ok ? [] : r.problems;
  };
  test('every profile allows every method; a client naming none gets the deployment’s list', () => {
    for (const profile of Object.values(PROFILES)) expect(profile.defaults.allowedMethods).toEqual(METHOD_IDS);
    expect(scaPolicyOf(config, {}).allowedMethods).toEqual(['password', 'emv-cap', 'totp', 'webauthn']);
    expect(scaPolicyOf(config, { guichet_allowed_methods: ['password', 'emv-cap'] }).allowedMethods).toEqual(['password', 'emv-cap']);
  });
  test('a client’s list must be known, non-empty, within the deployment’s and hold its first factor', () => {
    expect(problems({ guichet_allowed_methods: ['password', 'sms'] })[0]).toMatch(/unknown method sms/);
    expect(problems({ guichet_allowed_methods: [] })).toHaveLength(1);
    expect(problems({ guichet_allowed_methods: 'password' })).toHaveLength(1);
    expect(problems({ guichet_allowed_methods: ['password', 'x509'] })[0]).toMatch(/x509 not allowed by the deployment/);
    expect(problems({ guichet_allowed_methods: ['emv-cap', 'totp'] })[0]).toMatch(/must include password/);
    expect(problems({ guichet_first_factor: 'card', guichet_allowed_methods: ['emv-cap'] })).toEqual([]);
    expect(problems({ guichet_first_factor: 'card', guichet_allowed_methods: ['password', 'totp'] })[0]).toMatch(/must include emv-cap/);
    // No list of its own: the deployment's must hold the client's first factor.
    expect(problems({ guichet_first_factor: 'pin' })[0]).toMatch(/must include pin/);
  });
  test('a client stored with a refused list keeps only what both it and the deployment allow: never more', () => {
    expect(scaPolicyOf(config, { guichet_allowed_methods: ['emv-cap', 'x509', 'sms'] }).allowedMethods).toEqual(['emv-cap']);
  });
  test('the deployment’s list must hold the login’s first factor', () => {
    expect(() => loadConfig({ GUICHET_SCA_ALLOWED_METHODS: 'password,totp', GUICHET_FIRST_FACTOR: 'card' })).toThrow(ConfigError);
    expect(() => loadConfig({ GUICHET_SCA_ALLOWED_METHODS: 'password,sms' })).toThrow(/GUICHET_SCA_ALLOWED_METHODS/);
    expect(loadConfig({ GUICHET_SCA_ALLOWED_METHODS: 'emv-cap, webauthn', GUICHET_FIRST_FACTOR: 'card' }).sca.allowedMethods).toEqual(['emv-cap', 'webauthn']);
  });
});

describe('SCA memory in the store (createScaState)', () => {
  test('PSD2-10 idle 4 min 59 s after SCA: still SCA; 5 min 01 s: only a simple session for SCA-level requests', async () => {
    const clock = new ManualClock(T0);
    const state = createScaState({ store: createMemoryStore(clock), clock });
    await state.recordSca({ accountId: 'a1', deviceId: 'd1', sessionKey: 's1', idleSeconds: 300 });
    clock.advance(299_000);
    expect(sessionLevel('sca', { scaStillActive: await state.scaStillActive('s1', 300) })).toEqual({ level: 'sca', idleExpired: false });
    clock.advance(2_000);
    expect(sessionLevel('sca', { scaStillActive: await state.scaStillActive('s1', 300) })).toEqual({ level: 'simple', idleExpired: true });
    // A simple-level session is not affected by the idle rule.
    expect(sessionLevel('simple', { scaStillActive: false })).toEqual({ level: 'simple', idleExpired: false });
  });
  test('activity slides the idle limit, but an idle session is not revived', async () => {
    const clock = new ManualClock(T0);
    const state = createScaState({ store: createMemoryStore(clock), clock });
    await state.recordSca({ accountId: 'a1', deviceId: null, sessionKey: 's1', idleSeconds: 300 });
    clock.advance(240_000);
    expect(await state.touch('s1', 300)).toBe(true);
    clock.advance(240_000);
    expect(await state.scaStillActive('s1', 300)).toBe(true);
    clock.advance(301_000);
    expect(await state.touch('s1', 300)).toBe(false);
    expect(await state.scaStillActive('s1', 300)).toBe(false);
  });
  test('the device becomes known and the period restarts only with an SCA; a flushed store makes SCA due again', async () => {
    const clock = new ManualClock(T0);
    const store = createMemoryStore(clock);
    const state = createScaState({ store, clock });
    expect(await state.deviceKnown('a1', 'd1')).toBe(false);
    expect(await state.lastScaAt('a1')).toBeNull();
    await state.recordSca({ accountId: 'a1', deviceId: 'd1', sessionKey: null, idleSeconds: 300 });
    expect(await state.deviceKnown('a1', 'd1')).toBe(true);
    expect(await state.deviceKnown('a2', 'd1')).toBe(false);
    expect(await state.lastScaAt('a1')).toEqual(T0);
    await store.delete('sca:last:a1', 'sca:device:a1:d1');
    expect(decideSca(simpleAsk, psd2(), { lastScaAt: await state.lastScaAt('a1'), deviceKnown: await state.deviceKnown('a1', 'd1'), scaStillActive: false }, T0).reasons).toEqual(['sca_period_elapsed', 'new_device']);
  });
});

import { describe, test, expect } from '@jest/globals';
import { nextStep, type LoginFlow } from '../../src/flows/login-flow.js';
import { dueActions, type ActionState } from '../../src/flows/required-actions.js';

const flow = (over: Partial<LoginFlow> = {}): LoginFlow => ({
  uid: 'interaction-1',
  clientId: 'bank-portal',
  csrf: 'csrf',
  restartUrl: 'https://op.example.test/auth?client_id=bank-portal',
  completed: [],
  done: false,
  ...over,
});

const login = { prompt: 'login', firstParty: false, firstFactor: 'password' } as const;
const alice = { scheme: 'username', username: 'alice' } as const;

describe('nextStep', () => {
  test('a new login flow asks for the identifier', () => {
    expect(nextStep(flow(), login)).toBe('identify');
  });

  test('once identified it asks for the password', () => {
    expect(nextStep(flow({ identifier: alice }), login)).toBe('password');
  });

  test('once identified, a confidential-code client asks for the code', () => {
    expect(nextStep(flow({ identifier: { scheme: 'subscription', subscription: 'ACME', userNumber: '01' } }), { ...login, firstFactor: 'pin' })).toBe('pin');
  });

  test('a passkey ceremony under way shows its page, before the code or the identifier', () => {
    const ceremony = { purpose: 'login' as const, options: {}, state: {} as NonNullable<LoginFlow['passkey']>['state'] };
    expect(nextStep(flow({ passkey: ceremony }), login)).toBe('passkey');
    expect(nextStep(flow({ passkey: { ...ceremony, purpose: 'second' }, identifier: alice, pendingSecond: true }), login)).toBe('passkey');
    expect(nextStep(flow({ passkey: ceremony, done: true }), login)).toBe('done');
  });

  test('a finished flow is done, whatever the prompt', () => {
    expect(nextStep(flow({ done: true }), login)).toBe('done');
    expect(nextStep(flow({ done: true, identifier: alice }), { prompt: 'consent', firstParty: false, firstFactor: 'password' })).toBe('done');
  });

  test('the consent prompt asks a third-party client for consent', () => {
    expect(nextStep(flow({ identifier: alice, accountId: 'a-1' }), { prompt: 'consent', firstParty: false, firstFactor: 'password' })).toBe('consent');
  });

  test('the consent prompt is given automatically to a first-party client', () => {
    expect(nextStep(flow({ identifier: alice, accountId: 'a-1' }), { prompt: 'consent', firstParty: true, firstFactor: 'password' })).toBe('auto-consent');
  });

  test('is pure: the flow is not changed', () => {
    const f = flow({ identifier: alice });
    const copy = structuredClone(f);
    nextStep(f, login);
    expect(f).toEqual(copy);
  });

  test('once every factor is done, the first required action is next', () => {
    const actions = [{ action: 'security-questions', reason: 'security_questions_missing' }, { action: 'personal-data', reason: 'registration_incomplete' }] as const;
    expect(nextStep(flow({ identifier: alice, accountId: 'a-1', actions: [...actions] }), login)).toBe('security-questions');
    expect(nextStep(flow({ identifier: alice, accountId: 'a-1', actions: [actions[1]] }), login)).toBe('personal-data');
    expect(nextStep(flow({ identifier: alice, accountId: 'a-1', actions: [] }), login)).toBe('password');
  });

  test('a pending code comes before any action, and a finished flow after none', () => {
    const actions = [{ action: 'new-secret', reason: 'temporary_secret_used' }] as const;
    expect(nextStep(flow({ identifier: alice, accountId: 'a-1', pendingSecond: true, actions: [...actions] }), login)).toBe('code');
    expect(nextStep(flow({ identifier: alice, accountId: 'a-1', done: true, actions: [...actions] }), login)).toBe('done');
  });

  test('actions without an account are never shown (a restarted flow)', () => {
    expect(nextStep(flow({ identifier: alice, actions: [{ action: 'new-secret', reason: 'password_expired' }] }), login)).toBe('password');
  });
});

describe('dueActions', () => {
  const now = new Date('2026-03-01T12:00:00Z');
  const state = (over: Partial<ActionState> = {}): ActionState => ({ registering: false, secret: { mustChange: false, expiresAt: null }, now, temporarySecretUsed: false, answersStored: true, personalDone: false, ...over });
  const all = ['password', 'questions', 'personal'] as const;
  const names = (s: ActionState, steps: readonly ('password' | 'questions' | 'personal')[] = all) => dueActions(s, steps).map((a) => a.action);

  test('an active account with a valid secret has nothing to do', () => {
    expect(dueActions(state(), all)).toEqual([]);
    expect(dueActions(state({ secret: { mustChange: false, expiresAt: new Date(now.getTime() + 1000) } }), all)).toEqual([]);
  });

  test('password_must_change, password_expired (at the very instant) and temporary_secret_used each ask for a new secret', () => {
    expect(dueActions(state({ secret: { mustChange: true, expiresAt: null } }), all)).toEqual([{ action: 'new-secret', reason: 'password_must_change' }]);
    expect(dueActions(state({ secret: { mustChange: false, expiresAt: now } }), all)).toEqual([{ action: 'new-secret', reason: 'password_expired' }]);
    expect(dueActions(state({ temporarySecretUsed: true, secret: null }), all)).toEqual([{ action: 'new-secret', reason: 'temporary_secret_used' }]);
  });

  test('an active account is never asked the registration steps', () => {
    expect(names(state({ answersStored: false, personalDone: false }))).toEqual([]);
  });

  test('a registration asks its steps in the configured order', () => {
    const first = state({ registering: true, secret: { mustChange: true, expiresAt: null }, answersStored: false });
    expect(names(first)).toEqual(['new-secret', 'security-questions', 'personal-data']);
    expect(names(first, ['personal', 'questions', 'password'])).toEqual(['personal-data', 'security-questions', 'new-secret']);
  });

  test('an interrupted registration resumes where it stopped: stored steps are skipped', () => {
    expect(names(state({ registering: true, answersStored: true }))).toEqual(['personal-data']);
    expect(names(state({ registering: true, answersStored: false }))).toEqual(['security-questions', 'personal-data']);
    expect(names(state({ registering: true, answersStored: true, personalDone: true }))).toEqual([]);
  });

  test('steps left out of the configuration are not asked', () => {
    expect(names(state({ registering: true, secret: { mustChange: true, expiresAt: null }, answersStored: false }), ['password', 'personal'])).toEqual(['new-secret', 'personal-data']);
    expect(names(state({ registering: true, answersStored: false }), ['questions'])).toEqual(['security-questions']);
  });

  test('a new secret due while `password` is not a configured step comes first', () => {
    expect(names(state({ registering: true, temporarySecretUsed: true, answersStored: false }), ['questions', 'personal'])).toEqual(['new-secret', 'security-questions', 'personal-data']);
  });

  test('is pure: the same state gives the same answer', () => {
    const s = state({ registering: true, answersStored: false });
    const copy = structuredClone(s);
    expect(dueActions(s, all)).toEqual(dueActions(s, all));
    expect(s).toEqual(copy);
  });
});

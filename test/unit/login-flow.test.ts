import { describe, test, expect } from '@jest/globals';
import { nextStep, type LoginFlow } from '../../src/flows/login-flow.js';

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
});

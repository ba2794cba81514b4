import { describe, test, expect } from '@jest/globals';
import { levelOf, type CompletedMethod } from '../../src/policy/assurance.js';

const password: CompletedMethod = { authenticator: 'password', factors: ['knowledge'] };
const pin: CompletedMethod = { authenticator: 'pin', factors: ['knowledge'] };
const totp: CompletedMethod = { authenticator: 'totp', factors: ['possession'] };
const emvCap: CompletedMethod = { authenticator: 'emv-cap', factors: ['possession', 'knowledge'] };
const passkey: CompletedMethod = { authenticator: 'webauthn', factors: ['possession', 'inherence'], phishingResistant: true };
const securityQuestions: CompletedMethod = { authenticator: 'security-questions', factors: ['knowledge'] };
const securityKey: CompletedMethod = { authenticator: 'webauthn', factors: ['possession'], phishingResistant: true };

describe('levelOf', () => {
  test('nothing completed is none', () => {
    expect(levelOf([])).toBe('none');
  });

  test('one factor class is simple', () => {
    expect(levelOf([password])).toBe('simple');
    expect(levelOf([totp])).toBe('simple');
  });

  test('two methods of the same class are still simple', () => {
    expect(levelOf([password, pin])).toBe('simple');
  });

  test('PSD2-02 two knowledge factors (password and security questions) never make SCA; password and an OTP device do', () => {
    expect(levelOf([password, securityQuestions])).toBe('simple');
    expect(levelOf([password, totp])).toBe('sca');
  });

  test('a phishing-resistant method alone is still simple', () => {
    expect(levelOf([securityKey])).toBe('simple');
  });

  test('two factor classes are SCA', () => {
    expect(levelOf([password, totp])).toBe('sca');
  });

  test('one method covering two classes is SCA (EMV-CAP with its card PIN)', () => {
    expect(levelOf([emvCap])).toBe('sca');
  });

  test('SCA with a phishing-resistant method is sca-phr', () => {
    expect(levelOf([password, securityKey])).toBe('sca-phr');
    expect(levelOf([passkey])).toBe('sca-phr');
  });

  test('the order of the methods does not matter', () => {
    expect(levelOf([totp, password])).toBe(levelOf([password, totp]));
    expect(levelOf([securityKey, password])).toBe('sca-phr');
  });
});

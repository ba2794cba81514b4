import { describe, expect, test } from '@jest/globals';
import { acrOf, levelOfAcr, meets, requiredLevel } from '../../src/policy/step-up.js';

const names = { simple: 'urn:l:simple', sca: 'urn:l:sca', scaPhr: 'urn:l:phr' };

describe('requiredLevel', () => {
  test('a simple client with no request needs a simple login', () => {
    expect(requiredLevel({ clientMinimum: 'simple' }, names)).toEqual({ level: 'simple', essential: false, reason: 'none' });
  });
  test('acr_values raises to the lowest listed level, voluntarily', () => {
    expect(requiredLevel({ clientMinimum: 'simple', acrValues: 'urn:l:phr urn:l:sca' }, names)).toEqual({ level: 'sca', essential: false, reason: 'acr_values' });
  });
  test('unknown acr values are ignored', () => {
    expect(requiredLevel({ clientMinimum: 'simple', acrValues: 'urn:other' }, names).level).toBe('simple');
  });
  test('an essential acr claim is essential', () => {
    expect(requiredLevel({ clientMinimum: 'simple', essentialAcrs: ['urn:l:sca'] }, names)).toEqual({ level: 'sca', essential: true, reason: 'essential_acr' });
  });
  test('a client minimum of sca is essential by itself', () => {
    expect(requiredLevel({ clientMinimum: 'sca', acrValues: 'urn:l:simple' }, names)).toEqual({ level: 'sca', essential: true, reason: 'client_minimum' });
  });
  test('levels order and names round-trip', () => {
    expect(meets('sca', 'simple')).toBe(true);
    expect(meets('simple', 'sca')).toBe(false);
    expect(meets('sca-phr', 'sca')).toBe(true);
    for (const level of ['simple', 'sca', 'sca-phr'] as const) expect(levelOfAcr(acrOf(level, names), names)).toBe(level);
  });
});

describe('requiredLevel with authorization_details', () => {
  test('RAR-01 any authorization_details raise a simple request to essential SCA, reason sensitive_operation', () => {
    expect(requiredLevel({ clientMinimum: 'simple', authorizationDetails: [{ type: 'sensitive_operation' }] }, names)).toEqual({ level: 'sca', essential: true, reason: 'sensitive_operation' });
    expect(requiredLevel({ clientMinimum: 'simple', acrValues: 'urn:l:simple', authorizationDetails: [{ type: 'payment_initiation' }] }, names)).toEqual({ level: 'sca', essential: true, reason: 'sensitive_operation' });
  });
  test('no details or an empty list change nothing; a higher level asked elsewhere stays', () => {
    expect(requiredLevel({ clientMinimum: 'simple', authorizationDetails: null }, names).level).toBe('simple');
    expect(requiredLevel({ clientMinimum: 'simple', authorizationDetails: [] }, names).level).toBe('simple');
    expect(requiredLevel({ clientMinimum: 'simple', acrValues: 'urn:l:phr', authorizationDetails: [{ type: 'payment_initiation' }] }, names)).toEqual({ level: 'sca-phr', essential: true, reason: 'acr_values' });
  });
});

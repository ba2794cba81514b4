import { describe, test, expect } from '@jest/globals';
import { safeEqual } from '../../src/lib/constant-time.js';

describe('safeEqual', () => {
  test('equal strings are equal', () => {
    expect(safeEqual('csrf-token-123', 'csrf-token-123')).toBe(true);
    expect(safeEqual('', '')).toBe(true);
    expect(safeEqual('clé', 'clé')).toBe(true);
  });

  test('different strings are not, wherever they differ', () => {
    expect(safeEqual('csrf-token-123', 'csrf-token-124')).toBe(false);
    expect(safeEqual('Xsrf-token-123', 'csrf-token-123')).toBe(false);
    expect(safeEqual('abc', 'ABC')).toBe(false);
  });

  test('strings of different lengths are not equal, prefixes included', () => {
    expect(safeEqual('abc', 'abcd')).toBe(false);
    expect(safeEqual('', 'a')).toBe(false);
    expect(safeEqual('a'.repeat(1000), 'a'.repeat(999))).toBe(false);
  });

  test('unicode normal forms are compared as written', () => {
    expect(safeEqual('\u00e9', 'e\u0301')).toBe(false);
  });
});

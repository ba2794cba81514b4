import { describe, test, expect } from '@jest/globals';
import { negotiateLocale } from '../../src/i18n/negotiate.js';

describe('negotiateLocale', () => {
  test('the explicit choice wins over everything else', () => {
    expect(negotiateLocale({ chosen: 'en', uiLocales: 'fr', account: 'fr', acceptLanguage: 'fr' }, 'fr')).toBe('en');
  });

  test('an unsupported explicit choice is ignored', () => {
    expect(negotiateLocale({ chosen: 'de', uiLocales: 'en' }, 'fr')).toBe('en');
  });

  test('ui_locales comes next: the first supported tag, region ignored, any case', () => {
    expect(negotiateLocale({ uiLocales: 'de-CH EN-gb fr', account: 'fr', acceptLanguage: 'fr' }, 'fr')).toBe('en');
    expect(negotiateLocale({ uiLocales: 'fr-CA', account: 'en' }, 'en')).toBe('fr');
  });

  test("ui_locales with no supported tag falls through to the account's language", () => {
    expect(negotiateLocale({ uiLocales: 'de nl', account: 'en', acceptLanguage: 'fr' }, 'fr')).toBe('en');
  });

  test("the account's language comes before Accept-Language", () => {
    expect(negotiateLocale({ account: 'fr', acceptLanguage: 'en-US,en;q=0.9' }, 'en')).toBe('fr');
  });

  test('Accept-Language is ranked by q value, not by position', () => {
    expect(negotiateLocale({ acceptLanguage: 'de;q=1, en;q=0.5, fr-BE;q=0.8' }, 'en')).toBe('fr');
    expect(negotiateLocale({ acceptLanguage: 'fr;q=0.2, en-GB' }, 'fr')).toBe('en');
  });

  test('Accept-Language entries with q=0 are refused', () => {
    expect(negotiateLocale({ acceptLanguage: 'en;q=0, de' }, 'fr')).toBe('fr');
  });

  test('the fallback when nothing supported is asked for', () => {
    expect(negotiateLocale({}, 'fr')).toBe('fr');
    expect(negotiateLocale({ uiLocales: '', acceptLanguage: '' }, 'en')).toBe('en');
    expect(negotiateLocale({ acceptLanguage: 'de-DE,nl;q=0.8' }, 'en')).toBe('en');
  });
});

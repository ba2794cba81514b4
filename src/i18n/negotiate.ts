import { LOCALES, type Locale } from '../domain/account.js';

const isLocale = (v: string): v is Locale => (LOCALES as readonly string[]).includes(v);

/** The person's explicit choice (language switch) first, then ui_locales, then the account's language, then Accept-Language. */
export function negotiateLocale(sources: { uiLocales?: string | undefined; chosen?: string | undefined; account?: Locale | undefined; acceptLanguage?: string | undefined }, fallback: Locale): Locale {
  if (sources.chosen && isLocale(sources.chosen)) return sources.chosen;
  for (const tag of (sources.uiLocales ?? '').split(/\s+/)) {
    const base = tag.toLowerCase().split('-')[0] ?? '';
    if (isLocale(base)) return base;
  }
  if (sources.account) return sources.account;
  const ranked = (sources.acceptLanguage ?? '')
    .split(',')
    .map((part) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.find((p) => p.trim().startsWith('q='));
      return { base: tag.toLowerCase().split('-')[0] ?? '', q: q ? Number(q.trim().slice(2)) : 1 };
    })
    .filter((e) => e.q > 0)
    .sort((a, b) => b.q - a.q);
  for (const { base } of ranked) if (isLocale(base)) return base;
  return fallback;
}

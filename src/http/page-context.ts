import type { Context } from 'koa';
import type { Locale } from '../domain/account.js';
import { translator } from '../i18n/messages.js';
import { negotiateLocale } from '../i18n/negotiate.js';
import type { PageContext } from '../../views/layout.js';

export const LANG_COOKIE = 'guichet_lang';

/** Builds the page context: language (switch cookie, ui_locales, account, Accept-Language) and its translator. */
export function pageContext(ctx: Context, fallback: Locale, hints: { uiLocales?: string | undefined; account?: Locale | undefined; here?: string } = {}): PageContext {
  const chosen = typeof ctx.query.lang === 'string' ? ctx.query.lang : ctx.cookies.get(LANG_COOKIE);
  const locale = negotiateLocale({ chosen, uiLocales: hints.uiLocales, account: hints.account, acceptLanguage: ctx.get('accept-language') }, fallback);
  const other = locale === 'fr' ? 'en' : 'fr';
  // After a POST the switch must lead to the step's page, not to the form's action.
  const url = new URL(hints.here ?? (ctx.method === 'GET' ? ctx.originalUrl : '/'), 'http://x');
  url.searchParams.set('lang', other);
  return { t: translator(locale), locale, switchLanguageHref: `${url.pathname}?${url.searchParams.toString()}` };
}

/** Remembers an explicit language choice (?lang=) for the next pages. */
export function rememberLanguage(secure: boolean) {
  return async (ctx: Context, next: () => Promise<unknown>) => {
    const lang = ctx.query.lang;
    if (lang === 'fr' || lang === 'en') ctx.cookies.set(LANG_COOKIE, lang, { httpOnly: true, sameSite: 'lax', secure, maxAge: 365 * 86400 * 1000, signed: false, overwrite: true });
    await next();
  };
}

import { html, type SafeHtml } from '../src/lib/html.js';
import type { Translate } from '../src/i18n/messages.js';
import type { Locale } from '../src/domain/account.js';

export interface PageContext {
  t: Translate;
  locale: Locale;
  /** The current URL with `lang` switched, for the language link. */
  switchLanguageHref: string;
}

/** Every page: one stylesheet, no script, a language switch, a main landmark. */
export function layout(page: PageContext, title: string, body: SafeHtml): string {
  const { t } = page;
  return (
    '<!doctype html>' +
    html`<html lang="${page.locale}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · ${t('app.name')}</title>
<link rel="stylesheet" href="/static/guichet.css">
</head>
<body>
<header class="top">
  <span class="brand">${t('app.name')}</span>
  <nav aria-label="${t('lang.switch.label')}"><a href="${page.switchLanguageHref}" lang="${page.locale === 'fr' ? 'en' : 'fr'}">${t('lang.switch')}</a></nav>
</header>
<main id="main">
${body}
</main>
</body>
</html>`.value
  );
}

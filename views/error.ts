import { html } from '../src/lib/html.js';
import { layout, type PageContext } from './layout.js';

/** The one error page: a message in the person's language and, when known, a way to start again. */
export function errorPage(page: PageContext, message: string, restart?: { href: string; label: string }): string {
  const { t } = page;
  return layout(
    page,
    t('error.title'),
    html`<h1>${t('error.title')}</h1>
<div class="alert" role="alert" data-step="error">${message}</div>
${restart ? html`<p><a class="button" href="${restart.href}">${restart.label}</a></p>` : ''}`,
  );
}

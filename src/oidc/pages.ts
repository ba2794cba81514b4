import type { KoaContextWithOIDC } from 'oidc-provider';
import type { Locale } from '../domain/account.js';
import { html, SafeHtml } from '../lib/html.js';
import { layout } from '../../views/layout.js';
import { errorPage } from '../../views/error.js';
import { pageContext } from '../http/page-context.js';

/** oidc-provider's own pages (errors shown to people, logout), in Guichet's look and language. */
export interface PageRenderers {
  error(ctx: KoaContextWithOIDC, out: { error: string; error_description?: string }, error: unknown): Promise<void>;
  logout(ctx: KoaContextWithOIDC, form: string): Promise<void>;
  loggedOut(ctx: KoaContextWithOIDC): Promise<void>;
}

export function createPageRenderers(fallback: Locale): PageRenderers {
  return {
    async error(ctx, out) {
      const page = pageContext(ctx, fallback);
      ctx.type = 'html';
      const description = out.error_description ? ` ${out.error_description}` : '';
      ctx.body = errorPage(page, page.t('error.oidc', { error: `${out.error}${description}` }));
    },
    async logout(ctx, form) {
      const page = pageContext(ctx, fallback);
      const { t } = page;
      ctx.type = 'html';
      // `form` is oidc-provider's own markup (a form with its xsrf token), trusted as it is.
      ctx.body = layout(
        page,
        t('logout.title'),
        html`<h1>${t('logout.title')}</h1>
<p>${t('logout.confirm')}</p>
<div data-step="logout">${new SafeHtml(form)}
<button type="submit" form="op.logoutForm" name="logout" value="yes" autofocus>${t('logout.submit')}</button>
<button type="submit" form="op.logoutForm" class="secondary">${t('cancel')}</button></div>`,
      );
    },
    async loggedOut(ctx) {
      const page = pageContext(ctx, fallback);
      ctx.type = 'html';
      ctx.body = layout(page, page.t('logout.title'), html`<h1>${page.t('logout.title')}</h1><p data-step="logged-out">${page.t('logout.done')}</p>`);
    },
  };
}

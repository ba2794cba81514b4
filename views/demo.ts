import { html } from '../src/lib/html.js';
import { layout, type PageContext } from './layout.js';

export function demoPage(page: PageContext, view: { loginHref: string; strongHref: string; logoutHref: string; claims?: Record<string, unknown> | undefined; userinfo?: Record<string, unknown> | undefined }): string {
  const { t } = page;
  return layout(
    page,
    t('demo.title'),
    view.claims
      ? html`<h1>${t('demo.title')}</h1>
<p data-step="demo-logged-in">${t('demo.logged_in', { sub: String(view.claims.sub) })}</p>
<h2>ID token</h2><pre id="claims">${JSON.stringify(view.claims, null, 2)}</pre>
<h2>userinfo</h2><pre id="userinfo">${JSON.stringify(view.userinfo, null, 2)}</pre>
<p><a class="button" href="${view.strongHref}">${t('demo.strong')}</a> <a class="button" href="${view.logoutHref}">${t('demo.logout')}</a></p>`
      : html`<h1>${t('demo.title')}</h1><p><a class="button" data-step="demo" href="${view.loginHref}">${t('demo.login')}</a> <a class="button" href="${view.strongHref}">${t('demo.strong')}</a></p>`,
  );
}

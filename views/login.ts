import { html } from '../src/lib/html.js';
import { layout, type PageContext } from './layout.js';

export interface FormBase {
  action: string;
  csrf: string;
  clientName: string;
  error?: string | undefined;
  abortHref: string;
}

const alert = (message: string | undefined) =>
  message ? html`<div class="alert" role="alert" id="form-error" tabindex="-1">${message}</div>` : '';

/** Step `identify`: input `identifier`. */
export function identifyPage(page: PageContext, form: FormBase & { identifier?: string }): string {
  const { t } = page;
  const describedBy = form.error ? 'identifier-hint form-error' : 'identifier-hint';
  return layout(
    page,
    t('identify.title'),
    html`<h1>${t('identify.title')}</h1>
<p>${t('identify.intro', { client: form.clientName })}</p>
${alert(form.error)}
<form method="post" action="${form.action}" data-step="identify" novalidate>
  <input type="hidden" name="csrf" value="${form.csrf}">
  <label for="identifier">${t('identify.identifier')}</label>
  <p class="hint" id="identifier-hint">${t('identify.identifier.hint')}</p>
  <input id="identifier" name="identifier" type="text" autocomplete="username" autocapitalize="none" spellcheck="false" required aria-required="true" aria-describedby="${describedBy}" value="${form.identifier ?? ''}" ${form.error ? 'aria-invalid="true" autofocus' : 'autofocus'}>
  <button type="submit">${t('identify.submit')}</button>
</form>
<p><a href="${form.abortHref}">${t('cancel')}</a></p>`,
  );
}

/** Step `password`: input `password`. */
export function passwordPage(page: PageContext, form: FormBase & { identifier: string; restartHref: string }): string {
  const { t } = page;
  return layout(
    page,
    t('password.title'),
    html`<h1>${t('password.title')}</h1>
<p>${t('password.intro', { identifier: form.identifier })}</p>
${alert(form.error)}
<form method="post" action="${form.action}" data-step="password" novalidate>
  <input type="hidden" name="csrf" value="${form.csrf}">
  <input type="text" name="username" autocomplete="username" value="${form.identifier}" hidden>
  <label for="password">${t('password.password')}</label>
  <input id="password" name="password" type="password" autocomplete="current-password" required aria-required="true" ${form.error ? html`aria-invalid="true" aria-describedby="form-error"` : ''} autofocus>
  <button type="submit">${t('password.submit')}</button>
</form>
<p><a href="${form.restartHref}">${t('password.change_identifier')}</a> · <a href="${form.abortHref}">${t('cancel')}</a></p>`,
  );
}

/** Step `consent`: buttons named `decision` with values `allow` and `deny`. */
export function consentPage(page: PageContext, form: FormBase & { scopes: string[] }): string {
  const { t } = page;
  const known = ['openid', 'profile', 'email', 'offline_access', 'guichet'] as const;
  return layout(
    page,
    t('consent.title'),
    html`<h1>${t('consent.title')}</h1>
<p>${t('consent.intro', { client: form.clientName })}</p>
<ul>${form.scopes.map((s) => html`<li>${(known as readonly string[]).includes(s) ? t(`scope.${s}` as 'scope.openid') : s}</li>`)}</ul>
<form method="post" action="${form.action}" data-step="consent">
  <input type="hidden" name="csrf" value="${form.csrf}">
  <button type="submit" name="decision" value="allow">${t('consent.allow')}</button>
  <button type="submit" name="decision" value="deny" class="secondary">${t('consent.deny')}</button>
</form>`,
  );
}

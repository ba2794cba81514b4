import { html } from '../src/lib/html.js';
import type { Account } from '../src/domain/account.js';
import type { CredentialKind } from '../src/domain/credential.js';
import type { MessageId } from '../src/i18n/messages.js';
import { layout, type PageContext } from './layout.js';

/** How the pages name a person: their names, else their username or user number. */
export const displayName = (a: Pick<Account, 'givenName' | 'familyName' | 'username' | 'userNumber'>): string =>
  [a.givenName, a.familyName].filter(Boolean).join(' ') || a.username || a.userNumber || '?';

export interface AdminUserRow {
  account: Account;
  /** The kind of code offered first: the one the account logs in with. */
  kind: CredentialKind;
  /** The administrator's own row: no form (another administrator must issue their code). */
  self: boolean;
}

export interface AdminUsersView {
  subscription: string;
  users: readonly AdminUserRow[];
  csrf: string;
  action: string;
  delivery: 'show' | 'mail';
  shownTtlMinutes: number;
  postedTtlDays: number;
  error?: string | undefined;
  /** The account the error is about: its form is the one marked invalid. */
  errorAccount?: string | undefined;
}

const KINDS: readonly CredentialKind[] = ['pin', 'password'];

/**
 * Step `admin-users`: the users of the administrator's subscription; per user a form
 * `admin-temp-code` (inputs `csrf`, `account`, `kind`). No input ever takes a secret (ASVS 5.0 6.4.6).
 */
export function adminUsersPage(page: PageContext, view: AdminUsersView): string {
  const { t } = page;
  const title = view.error ? t('title.error', { title: t('admin.title') }) : t('admin.title');
  const deliveryHint = view.delivery === 'show' ? t('admin.delivery.show', { minutes: String(view.shownTtlMinutes) }) : t('admin.delivery.mail', { days: String(view.postedTtlDays) });
  const rows = view.users.map(({ account, kind, self }, i) => {
    const name = displayName(account);
    const status = t(`admin.status.${account.status}` as MessageId);
    const invalid = view.errorAccount === account.id;
    const form = self
      ? html`<p class="hint">${t('admin.user.you')}</p>`
      : account.status === 'suspended'
        ? html`<p class="hint">${t('admin.suspended_note')}</p>`
        : html`<form method="post" action="${view.action}" data-step="admin-temp-code" novalidate>
  <input type="hidden" name="csrf" value="${view.csrf}">
  <input type="hidden" name="account" value="${account.id}">
  <label for="kind-${i}">${t('admin.kind.label')}</label>
  <select id="kind-${i}" name="kind" aria-describedby="${invalid ? 'delivery-hint form-error' : 'delivery-hint'}"${invalid ? html` aria-invalid="true"` : ''}>
    ${KINDS.map((k) => html`<option value="${k}"${k === kind ? html` selected` : ''}>${t(k === 'pin' ? 'admin.kind.pin' : 'admin.kind.password')}</option>`)}
  </select>
  <button type="submit">${t('admin.issue', { name })}</button>
</form>`;
    return html`<li class="user">
  <h2>${name}</h2>
  <p>${account.userNumber ? t('admin.user.number', { n: account.userNumber }) : t('admin.user.username', { username: account.username ?? '' })} · ${t('admin.status', { status })}</p>
  ${form}
</li>`;
  });
  return layout(
    page,
    title,
    html`<h1>${t('admin.title')}</h1>
<div data-step="admin-users">
<p>${t('admin.intro', { subscription: view.subscription })}</p>
<p class="hint" id="delivery-hint">${deliveryHint}</p>
${view.error ? html`<div class="alert" role="alert" id="form-error">${view.error}</div>` : ''}
${view.users.length === 0 ? html`<p>${t('admin.none')}</p>` : html`<ul class="users">${rows}</ul>`}
</div>`,
  );
}

export interface IssuedView {
  name: string;
  /** Null when the code went to the user by mail. */
  code: string | null;
  expires: string;
  backHref: string;
}

/** Step `admin-temp-code-issued`: the code, shown this once, with its expiry. */
export function adminIssuedPage(page: PageContext, view: IssuedView): string {
  const { t } = page;
  return layout(
    page,
    t('admin.issued.title'),
    html`<h1>${t('admin.issued.title')}</h1>
<div data-step="admin-temp-code-issued">
${
  view.code !== null
    ? html`<p>${t('admin.issued.for', { name: view.name })}</p>
<p class="code"><strong id="temporary-code">${view.code}</strong></p>
<p>${t('admin.issued.expires', { time: view.expires })}</p>
<p><strong>${t('admin.issued.once')}</strong></p>`
    : html`<p>${t('admin.issued.mailed', { name: view.name, time: view.expires })}</p>`
}
<p>${t('admin.issued.choose')}</p>
<p><a class="button" href="${view.backHref}">${t('admin.issued.back')}</a></p>
</div>`,
  );
}

/** Step `admin-temp-code-gone` (410): the result page was already shown; the code is not shown again. */
export function adminGonePage(page: PageContext, backHref: string): string {
  const { t } = page;
  return layout(
    page,
    t('admin.gone.title'),
    html`<h1>${t('admin.gone.title')}</h1>
<div data-step="admin-temp-code-gone">
<p>${t('admin.gone.body')}</p>
<p><a class="button" href="${backHref}">${t('admin.issued.back')}</a></p>
</div>`,
  );
}

/** Step `admin-forbidden` (403): a signed-in person who administers no subscription. */
export function adminForbiddenPage(page: PageContext): string {
  const { t } = page;
  return layout(
    page,
    t('admin.forbidden.title'),
    html`<h1>${t('admin.forbidden.title')}</h1>
<div class="alert" role="alert" data-step="admin-forbidden">${t('admin.forbidden.body')}</div>`,
  );
}

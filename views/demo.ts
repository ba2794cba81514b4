import { html } from '../src/lib/html.js';
import type { MessageId } from '../src/i18n/messages.js';
import { layout, type PageContext } from './layout.js';

export interface DemoAccount {
  id: string;
  label: 'current' | 'savings';
  balance: string;
  currency: string;
}

export type DemoNotice = 'payee_added' | 'payee_refused' | 'transfer_done' | 'transfer_refused';

export interface DemoView {
  loginHref: string;
  strongHref: string;
  logoutHref: string;
  claims?: Record<string, unknown> | undefined;
  userinfo?: Record<string, unknown> | undefined;
  /** Signed in: the data the demo API gave (null when it refused), the forms' CSRF token and targets. */
  accounts?: DemoAccount[] | null | undefined;
  payees?: { name: string; iban: string }[] | undefined;
  csrf?: string | undefined;
  payeeAction?: string | undefined;
  transferAction?: string | undefined;
  notice?: DemoNotice | undefined;
  /** The form sent back with its error and the values typed. */
  invalid?: { form: 'payee' | 'transfer'; values: Record<string, string> } | undefined;
}

/** One labelled text input; the hint and, when its form is the invalid one, the error describe it. */
function input(o: { id: string; label: string; hint?: string; value: string; invalid: boolean; errorId: string; inputmode?: string }) {
  const hintId = o.hint ? `${o.id}-hint` : '';
  const describedBy = [hintId, o.invalid ? o.errorId : ''].filter(Boolean).join(' ');
  return html`<label for="${o.id}">${o.label}</label>
${o.hint ? html`<p class="hint" id="${hintId}">${o.hint}</p>` : ''}
<input id="${o.id}" name="${o.id}" type="text" value="${o.value}" required aria-required="true"${o.inputmode ? html` inputmode="${o.inputmode}"` : ''}${describedBy ? html` aria-describedby="${describedBy}"` : ''}${o.invalid ? html` aria-invalid="true"` : ''}>`;
}

/**
 * The demo relying party's page. Signed in: the ID token and userinfo, the accounts the demo API
 * lists, its payees with the form to add one (step `demo-payee`: `payee_name`, `payee_iban`) and the
 * transfer form (step `demo-transfer`: `amount`, `creditor_name`, `iban`); both carry `csrf`.
 */
export function demoPage(page: PageContext, view: DemoView): string {
  const { t } = page;
  if (!view.claims) {
    return layout(page, t('demo.title'), html`<h1>${t('demo.title')}</h1><p><a class="button" data-step="demo" href="${view.loginHref}">${t('demo.login')}</a> <a class="button" href="${view.strongHref}">${t('demo.strong')}</a></p>`);
  }
  const invalid = (form: 'payee' | 'transfer') => view.invalid?.form === form;
  const value = (form: 'payee' | 'transfer', name: string) => (invalid(form) ? (view.invalid?.values[name] ?? '') : '');
  const refused = view.notice === 'payee_refused' || view.notice === 'transfer_refused';
  return layout(
    page,
    t('demo.title'),
    html`<h1>${t('demo.title')}</h1>
<p data-step="demo-logged-in">${t('demo.logged_in', { sub: String(view.claims.sub) })}</p>
${view.notice ? html`<div class="${refused ? 'alert' : 'notice'}" role="${refused ? 'alert' : 'status'}" data-notice="${view.notice}">${t(`demo.notice.${view.notice}` as MessageId)}</div>` : ''}
<h2>${t('demo.accounts.title')}</h2>
${
  view.accounts
    ? html`<table id="accounts"><thead><tr><th scope="col">${t('demo.accounts.account')}</th><th scope="col">${t('demo.accounts.balance')}</th></tr></thead><tbody>${view.accounts.map(
        (a) => html`<tr><td>${t(`demo.accounts.${a.label}` as MessageId)} ${a.id}</td><td>${a.balance} ${a.currency}</td></tr>`,
      )}</tbody></table>`
    : html`<p>${t('demo.accounts.unavailable')}</p>`
}
<h2>${t('demo.payees.title')}</h2>
${view.payees?.length ? html`<ul id="payees">${view.payees.map((p) => html`<li>${p.name} ${p.iban}</li>`)}</ul>` : html`<p>${t('demo.payees.none')}</p>`}
<form method="post" action="${view.payeeAction ?? ''}" data-step="demo-payee" novalidate>
<input type="hidden" name="csrf" value="${view.csrf ?? ''}">
<p class="hint">${t('demo.payees.hint')}</p>
${invalid('payee') ? html`<div class="alert" role="alert" id="payee-error">${t('demo.error.payee')}</div>` : ''}
${input({ id: 'payee_name', label: t('demo.payee.name'), value: value('payee', 'payee_name'), invalid: invalid('payee'), errorId: 'payee-error' })}
${input({ id: 'payee_iban', label: t('demo.payee.iban'), hint: t('demo.payee.iban.hint'), value: value('payee', 'payee_iban'), invalid: invalid('payee'), errorId: 'payee-error' })}
<button type="submit">${t('demo.payees.add')}</button>
</form>
<h2>${t('demo.transfer.title')}</h2>
<form method="post" action="${view.transferAction ?? ''}" data-step="demo-transfer" novalidate>
<input type="hidden" name="csrf" value="${view.csrf ?? ''}">
<p class="hint">${t('demo.transfer.hint')}</p>
${invalid('transfer') ? html`<div class="alert" role="alert" id="transfer-error">${t('demo.error.transfer')}</div>` : ''}
${input({ id: 'amount', label: t('demo.transfer.amount'), hint: t('demo.transfer.amount.hint'), value: value('transfer', 'amount'), invalid: invalid('transfer'), errorId: 'transfer-error', inputmode: 'decimal' })}
${input({ id: 'creditor_name', label: t('demo.payee.name'), value: value('transfer', 'creditor_name'), invalid: invalid('transfer'), errorId: 'transfer-error' })}
${input({ id: 'iban', label: t('demo.payee.iban'), hint: t('demo.payee.iban.hint'), value: value('transfer', 'iban'), invalid: invalid('transfer'), errorId: 'transfer-error' })}
<button type="submit">${t('demo.transfer.submit')}</button>
</form>
<h2>ID token</h2><pre id="claims">${JSON.stringify(view.claims, null, 2)}</pre>
<h2>userinfo</h2><pre id="userinfo">${JSON.stringify(view.userinfo, null, 2)}</pre>
<p><a class="button" href="${view.strongHref}">${t('demo.strong')}</a> <a class="button" href="${view.logoutHref}">${t('demo.logout')}</a></p>`,
  );
}

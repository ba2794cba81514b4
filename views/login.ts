import { html, SafeHtml } from '../src/lib/html.js';
import { layout, type PageContext } from './layout.js';

export interface FormBase {
  action: string;
  csrf: string;
  clientName: string;
  error?: string | undefined;
  abortHref: string;
}

export interface Captcha {
  svg: string;
  error?: string | undefined;
  newHref: string;
}

const alert = (message: string | undefined) => (message ? html`<div class="alert" role="alert" id="form-error">${message}</div>` : '');

const describedBy = (...ids: (string | false | undefined)[]) => ids.filter(Boolean).join(' ');

/** The document title, prefixed with "Error" when the page shows one (WCAG 2.4.2, technique G88). */
export const pageTitle = (page: PageContext, title: string, error: string | undefined) => (error ? page.t('title.error', { title }) : title);

/** One labelled text input with its hint; `invalid` ties it to the page's error and focuses it. */
function field(o: { id: string; name?: string; label: string; hint?: string; value?: string; invalid?: boolean; autofocus?: boolean; attrs?: SafeHtml }) {
  const hintId = o.hint ? `${o.id}-hint` : undefined;
  return html`<label for="${o.id}">${o.label}</label>
  ${o.hint ? html`<p class="hint" id="${hintId}">${o.hint}</p>` : ''}
  <input id="${o.id}" name="${o.name ?? o.id}" type="text" value="${o.value ?? ''}" required aria-required="true"${describedBy(hintId, o.invalid && 'form-error') ? html` aria-describedby="${describedBy(hintId, o.invalid && 'form-error')}"` : ''}${o.invalid ? html` aria-invalid="true"` : ''}${o.autofocus ? html` autofocus` : ''} ${o.attrs ?? ''}>`;
}

function captchaBlock(page: PageContext, captcha: Captcha | undefined) {
  if (!captcha) return '';
  const { t } = page;
  const src = `data:image/svg+xml;base64,${Buffer.from(captcha.svg).toString('base64')}`;
  return html`<fieldset class="captcha">
  <legend>${t('captcha.legend')}</legend>
  <p class="hint" id="captcha-hint">${t('captcha.required')}</p>
  <img src="${src}" alt="${t('captcha.alt')}" width="150" height="50">
  <p><a href="${captcha.newHref}">${t('captcha.new')}</a></p>
  <label for="captcha">${t('captcha.label')}</label>
  <input id="captcha" name="captcha" type="text" autocomplete="off" autocapitalize="none" spellcheck="false" required aria-required="true" aria-describedby="captcha-hint${captcha.error ? ' form-error' : ''}"${captcha.error ? html` aria-invalid="true" autofocus` : ''}>
</fieldset>`;
}

export const rulesHelp = (summary: string, rules: readonly string[]) =>
  rules.length > 0 ? html`<details class="help"><summary>${summary}</summary><ul>${rules.map((r) => html`<li>${r}</li>`)}</ul></details>` : '';

export interface IdentifyView extends FormBase {
  schemes: readonly ('username' | 'subscription')[];
  remembered?: { username?: string; subscription?: string; userNumber?: string } | undefined;
  invalidField?: string | undefined;
  forgetHref: string;
  forgotHref: string;
  /** "Sign in with my certificate": the certificate page (on the TLS listener's port), when offered. */
  certificateHref?: string | undefined;
  /** The passkey entry and its scripts (views/passkey.ts `passkeyEntry`), when passkeys are on. */
  passkey?: SafeHtml | undefined;
}

/** Step `identify`: inputs `identifier` (username scheme) or `subscription` + `user_number`, optional `remember`. */
export function identifyPage(page: PageContext, form: IdentifyView): string {
  const { t } = page;
  const remembered = form.remembered;
  const rememberBox = html`<div class="check"><input type="checkbox" id="remember-${'x'}" name="remember" value="1"${remembered ? html` checked` : ''}><label for="remember-${'x'}">${t('identify.remember')}</label></div>`;
  const forms = form.schemes.map((scheme, i) => {
    const both = form.schemes.length > 1;
    const inner =
      scheme === 'username'
        ? field({ id: 'identifier', label: t('identify.identifier'), hint: t('identify.identifier.hint'), value: remembered?.username ?? '', invalid: form.invalidField === 'identifier', autofocus: i === 0 || form.invalidField === 'identifier', attrs: html`autocomplete="username" autocapitalize="none" spellcheck="false"` })
        : html`${field({ id: 'subscription', label: t('identify.subscription'), hint: t('identify.subscription.hint'), value: remembered?.subscription ?? '', invalid: form.invalidField === 'subscription', autofocus: (i === 0 && !remembered?.subscription) || form.invalidField === 'subscription', attrs: html`autocapitalize="characters" spellcheck="false"` })}
  ${field({ id: 'user_number', label: t('identify.user_number'), hint: t('identify.user_number.hint'), value: remembered?.userNumber ?? '', invalid: form.invalidField === 'user_number', autofocus: (i === 0 && Boolean(remembered?.subscription)) || form.invalidField === 'user_number', attrs: html`autocomplete="username" inputmode="numeric" spellcheck="false"` })}`;
    const box = new SafeHtml(rememberBox.value.replaceAll('remember-x', `remember-${scheme}`));
    return html`<form method="post" action="${form.action}" data-step="identify" data-scheme="${scheme}" novalidate>
  ${both ? html`<fieldset><legend>${t(scheme === 'username' ? 'identify.username.legend' : 'identify.subscription.legend')}</legend>` : ''}
  <input type="hidden" name="csrf" value="${form.csrf}">
  ${inner}
  ${box}
  <button type="submit">${t('identify.submit')}</button>
  ${both ? html`</fieldset>` : ''}
</form>`;
  });
  return layout(
    page,
    pageTitle(page, t('identify.title'), form.error),
    html`<h1>${t('identify.title')}</h1>
<p>${t('identify.intro', { client: form.clientName })}</p>
${alert(form.error)}
${forms}
${form.passkey ?? ''}
<ul class="links">
  ${remembered ? html`<li><a href="${form.forgetHref}">${t('identify.not_you')}</a></li>` : ''}
  <li><a href="${form.forgotHref}">${t('identify.forgot')}</a></li>
  ${form.certificateHref ? html`<li><a href="${form.certificateHref}" data-action="certificate">${t('certificate.link')}</a></li>` : ''}
  <li><a href="${form.abortHref}">${t('cancel')}</a></li>
</ul>`,
  );
}

export interface SecretView extends FormBase {
  factor: 'password' | 'pin';
  identifier: string;
  restartHref: string;
  /** "Forgot your password / code?": the recovery pages, when the deployment offers them. */
  recoverHref?: string | undefined;
  pinLength: number;
  rules: readonly string[];
  captcha?: Captcha | undefined;
  keypad?: { action: string; layout: string; entered: number } | undefined;
}

/** Step `pin-keypad`: buttons named `key` carry a slot number (0-9) or `erase`; the layout changes at every page. */
function keypadForm(page: PageContext, form: SecretView) {
  const { t } = page;
  const keypad = form.keypad!;
  return html`<form method="post" action="${keypad.action}" data-step="pin-keypad" class="keypad">
  <input type="hidden" name="csrf" value="${form.csrf}">
  <fieldset>
    <legend>${t('keypad.legend')}</legend>
    <p id="keypad-progress" role="status">${t('keypad.progress', { n: String(keypad.entered), total: String(form.pinLength) })} <span aria-hidden="true">${'●'.repeat(keypad.entered)}${'○'.repeat(Math.max(0, form.pinLength - keypad.entered))}</span></p>
    <div class="keys">${[...keypad.layout].map((digit, slot) => html`<button type="submit" name="key" value="${slot}" class="key">${digit}</button>`)}<button type="submit" name="key" value="erase" class="key secondary">${t('keypad.erase')}</button></div>
  </fieldset>
</form>`;
}

/** Step `password` (input `password`) or `pin` (input `pin`), with `captcha` when one is required. */
export function secretPage(page: PageContext, form: SecretView): string {
  const { t } = page;
  const isPin = form.factor === 'pin';
  const title = t(isPin ? 'pin.title' : 'password.title');
  const invalid = Boolean(form.error) && !form.captcha?.error;
  const hintId = isPin ? 'pin-hint' : undefined;
  const describe = describedBy(hintId, invalid && 'form-error');
  return layout(
    page,
    pageTitle(page, title, form.error),
    html`<h1>${title}</h1>
<p>${t('password.intro', { identifier: form.identifier })}</p>
${alert(form.error)}
${form.keypad ? keypadForm(page, form) : ''}
${form.keypad ? html`<h2 class="or">${t('keypad.or_type')}</h2>` : ''}
<form method="post" action="${form.action}" data-step="${form.factor}" novalidate>
  <input type="hidden" name="csrf" value="${form.csrf}">
  <input type="text" name="username" autocomplete="username" value="${form.identifier}" hidden>
  <label for="${form.factor}">${t(isPin ? 'pin.pin' : 'password.password')}</label>
  ${isPin ? html`<p class="hint" id="pin-hint">${t('pin.hint', { n: String(form.pinLength) })}</p>` : ''}
  <input id="${form.factor}" name="${form.factor}" type="password" required aria-required="true"${describe ? html` aria-describedby="${describe}"` : ''}${invalid ? html` aria-invalid="true"` : ''}${!form.captcha?.error && !form.keypad ? html` autofocus` : ''} ${isPin ? html`inputmode="numeric" autocomplete="current-password" maxlength="${form.pinLength}" pattern="[0-9]*"` : html`autocomplete="current-password"`}>
  ${rulesHelp(t(isPin ? 'rules.help.pin' : 'rules.help.password'), form.rules)}
  ${captchaBlock(page, form.captcha)}
  <button type="submit">${t(isPin ? 'pin.submit' : 'password.submit')}</button>
</form>
<ul class="links">${form.recoverHref ? html`<li><a href="${form.recoverHref}">${t(isPin ? 'recovery.link.pin' : 'recovery.link.password')}</a></li>` : ''}<li><a href="${form.restartHref}">${t('password.change_identifier')}</a></li><li><a href="${form.abortHref}">${t('cancel')}</a></li></ul>`,
  );
}

/** What the code authorises, from the server's authorization details (PSD2 RTS art. 5(1)(a)); names already translated. */
export type TransactionView =
  | { kind: 'payment'; amount: string; currency: string; payeeName: string; iban: string; remittance?: string | undefined }
  | { kind: 'batch'; total: string; currency: string; count: number; payees: readonly { name: string; iban: string; amount: string }[] }
  | { kind: 'operation'; name: string; description?: string | undefined };

/** What the card reader is asked for (EMV-CAP.md §5.3, §5.5); `batch`: the second Sign field is the payee list's reference. */
export interface CapView {
  mode: 'identify' | 'respond' | 'sign';
  challenge?: string | undefined;
  fields?: readonly string[] | undefined;
  batch?: boolean | undefined;
}

export interface CodeView extends FormBase {
  reason?: string | undefined;
  identifier: string;
  transactions?: readonly TransactionView[] | undefined;
  cap?: CapView | undefined;
  /** False when one-time codes may not authorise this (a payment under the psd2 profile) or the client allows none: the page asks for the card reader only. */
  otpOffered?: boolean | undefined;
  /** "Use my certificate instead": the certificate page as the second factor, when offered. */
  certificateHref?: string | undefined;
  /** "Use a passkey instead" and its scripts (views/passkey.ts `passkeyEntry`), when offered. */
  passkey?: SafeHtml | undefined;
}

const money = (page: PageContext, amount: string, currency: string) =>
  new Intl.NumberFormat(page.locale === 'fr' ? 'fr-FR' : 'en-GB', { style: 'currency', currency }).format(amount as unknown as number);
const groupIban = (iban: string) => iban.replace(/(.{4})(?=.)/g, '$1 ');
const groupDigits = (digits: string) => digits.replace(/(\d{4})(?=\d)/g, '$1 ');

export function transactionBlock(page: PageContext, transactions: readonly TransactionView[]) {
  const { t } = page;
  const one = (v: TransactionView) => {
    switch (v.kind) {
      case 'payment':
        return html`<dl data-detail="payment">
    <dt>${t('transaction.amount')}</dt><dd data-amount="${v.amount}" data-currency="${v.currency}">${money(page, v.amount, v.currency)}</dd>
    <dt>${t('transaction.payee')}</dt><dd data-payee-name>${v.payeeName}</dd>
    <dt>${t('transaction.iban')}</dt><dd data-payee-iban="${v.iban}">${groupIban(v.iban)}</dd>
    ${v.remittance ? html`<dt>${t('transaction.remittance')}</dt><dd>${v.remittance}</dd>` : ''}
  </dl>`;
      case 'batch':
        return html`<dl data-detail="batch">
    <dt>${t('transaction.batch.total')}</dt><dd data-amount="${v.total}" data-currency="${v.currency}">${money(page, v.total, v.currency)}</dd>
    <dt>${t('transaction.batch.count')}</dt><dd data-count="${String(v.count)}">${String(v.count)}</dd>
    <dt>${t('transaction.batch.payees')}</dt><dd><ul>${v.payees.map((p) => html`<li data-payee-iban="${p.iban}"><span data-payee-name>${p.name}</span> — ${groupIban(p.iban)} — ${money(page, p.amount, v.currency)}</li>`)}</ul></dd>
  </dl>`;
      case 'operation':
        return html`<dl data-detail="operation">
    <dt>${t('transaction.operation')}</dt><dd>${v.name}</dd>
    ${v.description ? html`<dt>${t('transaction.operation.description')}</dt><dd>${v.description}</dd>` : ''}
  </dl>`;
    }
  };
  return html`<section class="transaction" aria-labelledby="transaction-heading">
  <h2 id="transaction-heading">${t('transaction.heading')}</h2>
  ${transactions.map(one)}
  <p class="hint">${t('transaction.check')}</p>
</section>`;
}

/** The reader's instructions for Respond (the challenge) and Sign (the fields, in order); none for Identify. */
function capInstructions(page: PageContext, cap: CapView | undefined) {
  const { t } = page;
  if (cap?.mode === 'respond' && cap.challenge) {
    return html`<div class="cap" id="cap-instructions">
  <p>${t('cap.respond.intro')}</p>
  <dl><dt>${t('cap.respond.challenge')}</dt><dd class="cap-value">${groupDigits(cap.challenge)}</dd></dl>
</div>`;
  }
  if (cap?.mode === 'sign' && cap.fields) {
    const labels = [t('cap.sign.amount'), t(cap.batch ? 'cap.sign.batch' : 'cap.sign.payee')];
    return html`<div class="cap" id="cap-instructions">
  <p>${t('cap.sign.intro')}</p>
  <dl>${cap.fields.map((f, i) => html`<dt>${labels[i] ?? ''}</dt><dd class="cap-value">${f}</dd>`)}</dl>
</div>`;
  }
  return '';
}

/**
 * Step `otp`: input `code` (an OATH code, or a card reader's code). The form carries what the card
 * reader is asked for: `data-cap-mode` (`identify`, `respond`, `sign`), `data-cap-challenge` (Respond)
 * and `data-cap-fields` (Sign, space-separated, in the order typed). When the request authorises
 * something, a `section.transaction` shows it (`data-detail`, `data-amount`, `data-currency`,
 * `data-payee-name`, `data-payee-iban`).
 */
export function codePage(page: PageContext, form: CodeView): string {
  const { t } = page;
  const invalid = Boolean(form.error);
  const cap = form.cap;
  const instructions = capInstructions(page, cap);
  const hint = cap && (cap.mode !== 'identify' || form.otpOffered === false) ? t(form.otpOffered === false ? 'cap.code.reader_only' : 'cap.code.reader_or_app') : `${t('otp.intro')} ${t('otp.hint')}`;
  const capAttributes = cap
    ? html` data-cap-mode="${cap.mode}"${cap.challenge ? html` data-cap-challenge="${cap.challenge}"` : ''}${cap.fields ? html` data-cap-fields="${cap.fields.join(' ')}"` : ''}`
    : '';
  return layout(
    page,
    t('otp.title'),
    html`<h1>${t('otp.title')}</h1>
${form.reason ? html`<p class="reason">${form.reason}</p>` : ''}
<p>${t('password.intro', { identifier: form.identifier })}</p>
${form.transactions?.length ? transactionBlock(page, form.transactions) : ''}
${alert(form.error)}
<form method="post" action="${form.action}" data-step="otp"${capAttributes} novalidate>
  <input type="hidden" name="csrf" value="${form.csrf}">
  ${instructions}
  <label for="code">${t('otp.code')}</label>
  <p class="hint" id="code-hint">${hint}</p>
  <input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 ]*" maxlength="12" required aria-required="true" aria-describedby="${instructions ? 'cap-instructions ' : ''}code-hint${invalid ? ' form-error' : ''}"${invalid ? html` aria-invalid="true"` : ''} autofocus>
  <button type="submit">${t('otp.submit')}</button>
</form>
${form.passkey ?? ''}
<ul class="links">${form.certificateHref ? html`<li><a href="${form.certificateHref}" data-action="certificate">${t('certificate.link.instead')}</a></li>` : ''}<li><a href="${form.abortHref}">${t('cancel')}</a></li></ul>`,
  );
}

/** Step `blocked`: no form, only what happened and how to get access back. */
export function blockedPage(page: PageContext, view: { message: string; restartHref: string; abortHref: string }): string {
  const { t } = page;
  return layout(
    page,
    t('blocked.title'),
    html`<h1>${t('blocked.title')}</h1>
<div class="alert" role="alert" data-step="blocked">${view.message}</div>
<ul class="links"><li><a href="${view.restartHref}">${t('password.change_identifier')}</a></li><li><a href="${view.abortHref}">${t('cancel')}</a></li></ul>`,
  );
}

/** Step `forgot-identifier`: input `email`; step `forgot-identifier-sent` says the same whatever the address. */
export function forgotIdentifierPage(page: PageContext, form: { action: string; csrf: string; backHref: string; error?: string | undefined; sent?: boolean; captcha?: Captcha | undefined }): string {
  const { t } = page;
  if (form.sent) {
    return layout(page, t('forgot.title'), html`<h1>${t('forgot.title')}</h1><p role="status" data-step="forgot-identifier-sent">${t('forgot.sent')}</p><p><a class="button" href="${form.backHref}">${t('forgot.back')}</a></p>`);
  }
  return layout(
    page,
    pageTitle(page, t('forgot.title'), form.error),
    html`<h1>${t('forgot.title')}</h1>
<p id="email-hint">${t('forgot.intro')}</p>
${alert(form.error)}
<form method="post" action="${form.action}" data-step="forgot-identifier" novalidate>
  <input type="hidden" name="csrf" value="${form.csrf}">
  <label for="email">${t('forgot.email')}</label>
  <input id="email" name="email" type="email" autocomplete="email" required aria-required="true" aria-describedby="email-hint${form.error && !form.captcha?.error ? ' form-error' : ''}"${form.error && !form.captcha?.error ? html` aria-invalid="true"` : ''} autofocus>
  ${captchaBlock(page, form.captcha)}
  <button type="submit">${t('forgot.submit')}</button>
</form>
<p><a href="${form.backHref}">${t('forgot.back')}</a></p>`,
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

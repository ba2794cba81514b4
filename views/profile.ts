import { escapeHtml, html, SafeHtml } from '../src/lib/html.js';
import type { MessageId } from '../src/i18n/messages.js';
import { layout, type PageContext } from './layout.js';

/** A refused field: its input name and the message shown beside it. */
export interface FieldError {
  field: string;
  message: string;
}

const describedBy = (...ids: (string | false | undefined)[]) => ids.filter(Boolean).join(' ');

/** The document title, prefixed with "Error" when the page shows one (WCAG 2.4.2, technique G88). */
const pageTitle = (page: PageContext, title: string, failed: boolean) => (failed ? page.t('title.error', { title }) : title);

/** The summary read first (role="alert"); each field then carries its own message. */
function errorSummary(page: PageContext, errors: readonly FieldError[], message?: string) {
  if (errors.length === 0 && !message) return '';
  return html`<div class="alert" role="alert" id="form-error">${message ?? page.t('profile.errors.summary')}${errors.length > 0 ? html`<ul>${errors.map((e) => html`<li>${e.message}</li>`)}</ul>` : ''}</div>`;
}

const errorOf = (errors: readonly FieldError[], field: string) => errors.find((e) => e.field === field);

/** The attributes tying an input to its hint and its error. */
function wiring(errors: readonly FieldError[], field: string, hintId?: string): SafeHtml {
  const error = errorOf(errors, field);
  const ids = describedBy(hintId, error && `${field}-error`);
  return html`${ids ? html` aria-describedby="${ids}"` : ''}${error ? html` aria-invalid="true"` : ''}`;
}

const fieldError = (errors: readonly FieldError[], field: string) => {
  const error = errorOf(errors, field);
  return error ? html`<p class="alert" id="${field}-error">${error.message}</p>` : '';
};

function input(o: { name: string; label: string; type?: string; value?: string; hint?: string; required?: boolean; errors: readonly FieldError[]; attrs?: SafeHtml; autofocus?: boolean }) {
  const hintId = o.hint ? `${o.name}-hint` : undefined;
  return html`<label for="${o.name}">${o.label}</label>
  ${o.hint ? html`<p class="hint" id="${hintId}">${o.hint}</p>` : ''}
  ${fieldError(o.errors, o.name)}
  <input id="${o.name}" name="${o.name}" type="${o.type ?? 'text'}" value="${o.value ?? ''}"${o.required ? html` required aria-required="true"` : ''}${wiring(o.errors, o.name, hintId)}${o.autofocus || o.errors[0]?.field === o.name ? html` autofocus` : ''} ${o.attrs ?? ''}>`;
}

const csrfField = (csrf: string) => html`<input type="hidden" name="csrf" value="${csrf}">`;
const backLink = (page: PageContext) => html`<ul class="links"><li><a href="/account">${page.t('profile.back')}</a></li></ul>`;
const status = (message: string | undefined) => (message ? html`<p class="status" role="status">${message}</p>` : '');

// ---- the profile ------------------------------------------------------------------------------------

export interface SignInRow {
  date: string;
  success: boolean;
  method: string;
  client: string;
  ip: string;
}

export interface ProfileView {
  identifier: string;
  familyName: string | null;
  givenName: string | null;
  email: string | null;
  emailVerified: boolean;
  localeName: string;
  defaultContract: string | null;
  defaultCountry: string | null;
  defaultLanding: string | null;
  secretKinds: readonly ('password' | 'pin')[];
  totpEnrolled: boolean;
  /** How many passkeys the account has; undefined when passkeys are off. */
  passkeys?: number | undefined;
  signIns: readonly SignInRow[];
  csrf: string;
  notice?: string | undefined;
  /** Sign-in certificates registered, when X.509 certificates are enabled (the link to register one). */
  certificates?: number | undefined;
}

/** `data-step="profile"`: what the account holds, the change pages, the recent sign-ins. */
export function profilePage(page: PageContext, view: ProfileView): string {
  const { t } = page;
  const value = (v: string | null) => v ?? t('profile.not_set');
  const row = (label: string, v: string) => html`<dt>${label}</dt><dd>${v}</dd>`;
  const secretLink: MessageId = view.secretKinds.length > 1 ? 'profile.link.secret' : view.secretKinds[0] === 'pin' ? 'profile.link.pin' : 'profile.link.password';
  return layout(
    page,
    t('profile.title'),
    html`<div data-step="profile">
<h1>${t('profile.title')}</h1>
<p>${t('profile.identifier', { identifier: view.identifier })}</p>
${status(view.notice)}
<h2>${t('profile.section.identity')}</h2>
<dl>
  ${row(t('profile.family_name'), value(view.familyName))}
  ${row(t('profile.given_name'), value(view.givenName))}
  ${row(t('profile.email'), view.email ? (view.emailVerified ? view.email : t('profile.email.unverified', { email: view.email })) : t('profile.not_set'))}
  ${row(t('profile.locale'), view.localeName)}
</dl>
<h2>${t('profile.section.preferences')}</h2>
<dl>
  ${row(t('profile.default_contract'), value(view.defaultContract))}
  ${row(t('profile.default_country'), value(view.defaultCountry))}
  ${row(t('profile.default_landing'), value(view.defaultLanding))}
</dl>
<ul class="links"><li><a href="/account/details">${t('profile.link.details')}</a></li></ul>
<h2>${t('profile.section.security')}</h2>
<p>${view.totpEnrolled ? t('profile.totp.enrolled') : t('profile.totp.none')}</p>
${view.passkeys !== undefined ? html`<p>${t('profile.passkeys.count', { n: String(view.passkeys) })}</p>` : ''}
<p class="hint">${t('profile.fresh_login_note')}</p>
<ul class="links">
  <li><a href="/account/email">${t('profile.link.email')}</a></li>
  ${view.secretKinds.length > 0 ? html`<li><a href="/account/secret">${t(secretLink)}</a></li>` : ''}
  <li><a href="/account/questions">${t('profile.link.questions')}</a></li>
  <li><a href="/account/totp">${t(view.totpEnrolled ? 'profile.link.totp.replace' : 'profile.link.totp')}</a></li>
  ${view.passkeys !== undefined ? html`<li><a href="/account/passkeys">${t('profile.link.passkeys')}</a></li>` : ''}
  ${view.certificates !== undefined ? html`<li><a href="/account/certificate">${t('certificate.profile.link')}</a></li>` : ''}
</ul>
<h2>${t('profile.section.signins')}</h2>
${
  view.signIns.length === 0
    ? html`<p>${t('profile.signins.none')}</p>`
    : html`<ul class="signins">${view.signIns.map(
        (s) => html`<li><strong>${t('profile.signins.when', { date: s.date, result: t(s.success ? 'profile.signins.success' : 'profile.signins.failure') })}</strong><br>${t('profile.signins.how', { method: s.method, client: s.client, ip: s.ip })}</li>`,
      )}</ul>`
}
<form method="post" action="/portal/logout" data-step="portal-logout">
  ${csrfField(view.csrf)}
  <button type="submit" class="secondary">${t('profile.logout')}</button>
</form>
</div>`,
  );
}

// ---- names, language, preferences -------------------------------------------------------------------

export interface DetailsView {
  csrf: string;
  values: { family_name: string; given_name: string; locale: string; default_contract: string; default_country: string; default_landing: string };
  countries: readonly { code: string; name: string }[];
  landings: readonly string[];
  errors: readonly FieldError[];
}

/** `data-step="profile-details"`: inputs `family_name`, `given_name`, `locale` (fr|en), `default_contract`, `default_country`, `default_landing`. */
export function detailsPage(page: PageContext, view: DetailsView): string {
  const { t } = page;
  const { values, errors } = view;
  const title = t('profile.details.title');
  const localeError = errorOf(errors, 'locale');
  const languages = [
    { code: 'fr', name: 'Français' },
    { code: 'en', name: 'English' },
  ];
  return layout(
    page,
    pageTitle(page, title, errors.length > 0),
    html`<h1>${title}</h1>
${errorSummary(page, errors)}
<form method="post" action="/account/details" data-step="profile-details" novalidate>
  ${csrfField(view.csrf)}
  ${input({ name: 'family_name', label: t('profile.family_name'), value: values.family_name, required: true, errors, attrs: html`autocomplete="family-name"` })}
  ${input({ name: 'given_name', label: t('profile.given_name'), value: values.given_name, errors, attrs: html`autocomplete="given-name"` })}
  <fieldset${localeError ? html` aria-describedby="locale-error"` : ''}>
    <legend>${t('profile.locale')}</legend>
    ${fieldError(errors, 'locale')}
    ${languages.map((l) => html`<div class="check"><input type="radio" id="locale-${l.code}" name="locale" value="${l.code}"${values.locale === l.code ? html` checked` : ''}><label for="locale-${l.code}" lang="${l.code}">${l.name}</label></div>`)}
  </fieldset>
  <fieldset>
    <legend>${t('profile.section.preferences')}</legend>
    ${input({ name: 'default_contract', label: t('profile.default_contract'), hint: t('profile.default_contract.hint'), value: values.default_contract, errors, attrs: html`autocapitalize="characters" spellcheck="false"` })}
    <label for="default_country">${t('profile.default_country')}</label>
    ${fieldError(errors, 'default_country')}
    <select id="default_country" name="default_country"${wiring(errors, 'default_country')}>
      <option value="">${t('profile.default_country.none')}</option>
      ${view.countries.map((c) => html`<option value="${c.code}"${values.default_country === c.code ? html` selected` : ''}>${c.name}</option>`)}
    </select>
    ${input({ name: 'default_landing', label: t('profile.default_landing'), hint: t('profile.default_landing.hint', { values: view.landings.join(', ') }), value: values.default_landing, errors, attrs: html`list="landings" spellcheck="false" autocapitalize="none"` })}
    <datalist id="landings">${view.landings.map((l) => html`<option value="${l}"></option>`)}</datalist>
  </fieldset>
  <button type="submit">${t('profile.submit')}</button>
</form>
${backLink(page)}`,
  );
}

// ---- e-mail -----------------------------------------------------------------------------------------

/** `data-step="profile-email"`: inputs `email`, `email_confirmation`. */
export function emailPage(page: PageContext, view: { csrf: string; current: string | null; values: { email: string; email_confirmation: string }; errors: readonly FieldError[] }): string {
  const { t } = page;
  const title = t('profile.email.title');
  const { errors } = view;
  return layout(
    page,
    pageTitle(page, title, errors.length > 0),
    html`<h1>${title}</h1>
<p>${view.current ? t('profile.email.current', { email: view.current }) : t('profile.email.current.none')}</p>
${errorSummary(page, errors)}
<form method="post" action="/account/email" data-step="profile-email" novalidate>
  ${csrfField(view.csrf)}
  ${input({ name: 'email', label: t('profile.email.new'), type: 'email', hint: t('profile.email.new.hint'), value: view.values.email, required: true, errors, autofocus: errors.length === 0, attrs: html`autocomplete="email" spellcheck="false" autocapitalize="none"` })}
  ${input({ name: 'email_confirmation', label: t('profile.email.confirmation'), type: 'email', value: view.values.email_confirmation, required: true, errors, attrs: html`autocomplete="off" spellcheck="false" autocapitalize="none"` })}
  <button type="submit">${t('profile.email.submit')}</button>
</form>
${backLink(page)}`,
  );
}

/** `data-step="profile-email-sent"`: no form; the link went to the new address. */
export function emailSentPage(page: PageContext, email: string): string {
  const { t } = page;
  return layout(page, t('profile.email.title'), html`<h1>${t('profile.email.title')}</h1><p role="status" data-step="profile-email-sent">${t('profile.email.sent', { email })}</p>${backLink(page)}`);
}

/** `data-step="profile-email-confirm"`: hidden input `token`, one button. */
export function emailConfirmPage(page: PageContext, view: { csrf: string; token: string; email: string }): string {
  const { t } = page;
  return layout(
    page,
    t('profile.email.confirm.title'),
    html`<h1>${t('profile.email.confirm.title')}</h1>
<p>${t('profile.email.confirm.intro', { email: view.email })}</p>
<form method="post" action="/account/email/confirm" data-step="profile-email-confirm">
  ${csrfField(view.csrf)}
  <input type="hidden" name="token" value="${view.token}">
  <button type="submit">${t('profile.email.confirm.submit')}</button>
</form>
${backLink(page)}`,
  );
}

/** `data-step="profile-email-invalid"`: a used, expired, superseded or refused link. */
export function emailLinkInvalidPage(page: PageContext, message: string): string {
  const { t } = page;
  return layout(page, t('profile.email.confirm.title'), html`<h1>${t('profile.email.confirm.title')}</h1><div class="alert" role="alert" data-step="profile-email-invalid">${message}</div>${backLink(page)}`);
}

// ---- password or confidential code ------------------------------------------------------------------

export interface SecretChangeView {
  csrf: string;
  kinds: readonly ('password' | 'pin')[];
  kind?: string | undefined;
  pinLength: number;
  rules: { password: readonly string[]; pin: readonly string[] };
  errors: readonly FieldError[];
  /** A refusal that is not about one field (the secret is blocked). */
  message?: string | undefined;
}

const rulesHelp = (summary: string, rules: readonly string[]) =>
  rules.length > 0 ? html`<details class="help"><summary>${summary}</summary><ul>${rules.map((r) => html`<li>${r}</li>`)}</ul></details>` : '';

/** `data-step="profile-secret"`: `kind` (password|pin, when the account has both), `current_secret`, `new_secret`, `confirmation`. */
export function secretChangePage(page: PageContext, view: SecretChangeView): string {
  const { t } = page;
  const { errors } = view;
  const only = view.kinds.length === 1 ? view.kinds[0] : undefined;
  const title = t(only === 'password' ? 'profile.secret.title.password' : only === 'pin' ? 'profile.secret.title.pin' : 'profile.secret.title');
  const failed = errors.length > 0 || Boolean(view.message);
  if (view.kinds.length === 0) return layout(page, title, html`<h1>${title}</h1><p data-step="profile-secret-none">${t('profile.secret.none')}</p>${backLink(page)}`);
  const suffix = only ?? 'any';
  const pinAttrs = only === 'pin' ? html`inputmode="numeric" maxlength="${view.pinLength}" pattern="[0-9]*"` : html``;
  return layout(
    page,
    pageTitle(page, title, failed),
    html`<h1>${title}</h1>
${errorSummary(page, errors, view.message)}
<form method="post" action="/account/secret" data-step="profile-secret" novalidate>
  ${csrfField(view.csrf)}
  ${
    only
      ? html`<input type="hidden" name="kind" value="${only}">`
      : html`<fieldset${errorOf(errors, 'kind') ? html` aria-describedby="kind-error"` : ''}><legend>${t('profile.secret.kind')}</legend>${fieldError(errors, 'kind')}${view.kinds.map(
          (k) => html`<div class="check"><input type="radio" id="kind-${k}" name="kind" value="${k}"${view.kind === k ? html` checked` : ''}><label for="kind-${k}">${t(k === 'pin' ? 'factor.pin' : 'factor.password')}</label></div>`,
        )}</fieldset>`
  }
  ${input({ name: 'current_secret', label: t(`profile.secret.current.${suffix}` as MessageId), type: 'password', required: true, errors, autofocus: errors.length === 0 && Boolean(only), attrs: html`autocomplete="current-password" ${pinAttrs}` })}
  ${input({ name: 'new_secret', label: t(`profile.secret.new.${suffix}` as MessageId), type: 'password', required: true, errors, attrs: html`autocomplete="new-password" ${pinAttrs}` })}
  ${view.kinds.includes('password') ? rulesHelp(t('rules.help.password'), view.rules.password) : ''}
  ${view.kinds.includes('pin') ? rulesHelp(t('rules.help.pin'), view.rules.pin) : ''}
  ${input({ name: 'confirmation', label: t('profile.secret.confirmation'), type: 'password', required: true, errors, attrs: html`autocomplete="new-password" ${pinAttrs}` })}
  <button type="submit">${t('profile.secret.submit')}</button>
</form>
${backLink(page)}`,
  );
}

// ---- security questions -----------------------------------------------------------------------------

/** `data-step="profile-questions"`: `question_1`…`question_N` (catalogue ids) and `answer_1`…`answer_N`. */
export function questionsPage(page: PageContext, view: { csrf: string; count: number; questions: readonly { id: string; text: string }[]; chosen: readonly string[]; errors: readonly FieldError[] }): string {
  const { t } = page;
  const { errors } = view;
  const title = t('profile.questions.title');
  const blocks = Array.from({ length: view.count }, (_, i) => {
    const n = String(i + 1);
    const q = `question_${n}`;
    const a = `answer_${n}`;
    return html`<fieldset>
    <legend>${t('profile.questions.legend', { n })}</legend>
    <label for="${q}">${t('profile.questions.question')}</label>
    ${fieldError(errors, q)}
    <select id="${q}" name="${q}" required aria-required="true"${wiring(errors, q)}>
      <option value="">${t('profile.questions.choose')}</option>
      ${view.questions.map((question) => html`<option value="${question.id}"${view.chosen[i] === question.id ? html` selected` : ''}>${question.text}</option>`)}
    </select>
    ${input({ name: a, label: t('profile.questions.answer'), hint: t('profile.questions.answer.hint'), required: true, errors, attrs: html`autocomplete="off" spellcheck="false" maxlength="200"` })}
  </fieldset>`;
  });
  return layout(
    page,
    pageTitle(page, title, errors.length > 0),
    html`<h1>${title}</h1>
<p>${t('profile.questions.intro', { n: String(view.count) })}</p>
${errorSummary(page, errors)}
<form method="post" action="/account/questions" data-step="profile-questions" novalidate>
  ${csrfField(view.csrf)}
  ${blocks}
  <button type="submit">${t('profile.submit')}</button>
</form>
${backLink(page)}`,
  );
}

// ---- authenticator app ------------------------------------------------------------------------------

/** `data-step="profile-totp"`: input `code`; the QR code is inline SVG (no image request, nothing for the CSP to allow). */
export function totpPage(page: PageContext, view: { csrf: string; qrSvg: string; manualKey: string; replacing: boolean; error?: string | undefined }): string {
  const { t } = page;
  const title = t('profile.totp.title');
  const invalid = Boolean(view.error);
  // The SVG comes from the QR encoder, not from input; it is labelled as one image.
  const qr = new SafeHtml(view.qrSvg.replace('<svg ', `<svg role="img" aria-label="${escapeHtml(t('profile.totp.qr_label'))}" width="200" height="200" `));
  return layout(
    page,
    pageTitle(page, title, invalid),
    html`<h1>${title}</h1>
<p>${t('profile.totp.intro')}</p>
${view.replacing ? html`<p>${t('profile.totp.replace_note')}</p>` : ''}
${view.error ? html`<div class="alert" role="alert" id="form-error">${view.error}</div>` : ''}
<div class="qr">${qr}</div>
<p>${t('profile.totp.manual')}</p>
<pre data-manual-key="${view.manualKey.replace(/\s/g, '')}">${view.manualKey}</pre>
<form method="post" action="/account/totp" data-step="profile-totp" novalidate>
  ${csrfField(view.csrf)}
  <label for="code">${t('profile.totp.code')}</label>
  <p class="hint" id="code-hint">${t('profile.totp.code.hint')}</p>
  <input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 ]*" maxlength="8" required aria-required="true" aria-describedby="code-hint${invalid ? ' form-error' : ''}"${invalid ? html` aria-invalid="true"` : ''} autofocus>
  <button type="submit">${t('profile.totp.submit')}</button>
</form>
${backLink(page)}`,
  );
}

/** `data-step="profile-totp-unavailable"`: no strong factor yet, so no remote association (PSD2 RTS art. 24(2)). */
export function totpUnavailablePage(page: PageContext): string {
  const { t } = page;
  return layout(page, t('profile.totp.title'), html`<h1>${t('profile.totp.title')}</h1><p data-step="profile-totp-unavailable">${t('profile.totp.unavailable')}</p>${backLink(page)}`);
}

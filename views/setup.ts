import { html, type SafeHtml } from '../src/lib/html.js';
import type { Locale } from '../src/domain/account.js';
import { layout, type PageContext } from './layout.js';
import { pageTitle, rulesHelp } from './login.js';

/** Messages per input name, already translated; the first invalid input takes the focus. */
export type FieldErrors = Readonly<Record<string, readonly string[]>>;

export interface SetupBase {
  action: string;
  csrf: string;
  abortHref: string;
  /** "Step n of total" of the registration, when the page is one of its steps. */
  progress?: { n: number; total: number } | undefined;
  errors?: FieldErrors | undefined;
}

const messagesOf = (errors: FieldErrors | undefined) => Object.values(errors ?? {}).flat();
const firstInvalid = (errors: FieldErrors | undefined) => Object.keys(errors ?? {})[0];

/** The error summary (announced, role="alert") at the top; each message also sits by its input. */
function summary(errors: FieldErrors | undefined) {
  const all = messagesOf(errors);
  if (all.length === 0) return '';
  return html`<div class="alert" role="alert" id="form-error">${all.length === 1 ? all[0]! : html`<ul>${all.map((m) => html`<li>${m}</li>`)}</ul>`}</div>`;
}

/** The input's own error messages, referenced by its aria-describedby. */
function inlineError(errors: FieldErrors | undefined, name: string) {
  const mine = errors?.[name];
  return mine && mine.length > 0 ? html`<p class="alert" id="${name}-error">${mine.join(' ')}</p>` : '';
}

/** aria-describedby / aria-invalid / autofocus of one input. */
function wiring(errors: FieldErrors | undefined, name: string, hintId?: string, focusByDefault = false): SafeHtml {
  const invalid = Boolean(errors?.[name]?.length);
  const ids = [hintId, invalid ? `${name}-error` : undefined].filter(Boolean).join(' ');
  const focus = firstInvalid(errors) === name || (focusByDefault && !firstInvalid(errors));
  return html`${ids ? html` aria-describedby="${ids}"` : ''}${invalid ? html` aria-invalid="true"` : ''}${focus ? html` autofocus` : ''}`;
}

const progressLine = (page: PageContext, progress: SetupBase['progress']) => (progress ? html`<p class="hint">${page.t('setup.progress', { n: String(progress.n), total: String(progress.total) })}</p>` : '');

const cancelLink = (page: PageContext, href: string) => html`<ul class="links"><li><a href="${href}">${page.t('cancel')}</a></li></ul>`;

export interface NewSecretView extends SetupBase {
  factor: 'password' | 'pin';
  identifier: string;
  /** Why a new secret is asked now (first login, expiry, temporary secret), translated. */
  reason: string;
  pinLength: number;
  rules: readonly string[];
}

/** Step `new-secret`: inputs `new_secret` and `confirmation`; the policy's rules behind the help toggle. */
export function newSecretPage(page: PageContext, view: NewSecretView): string {
  const { t } = page;
  const isPin = view.factor === 'pin';
  const title = t(isPin ? 'setup.secret.title.pin' : 'setup.secret.title.password');
  const secretAttrs = isPin ? html`inputmode="numeric" maxlength="${view.pinLength}" pattern="[0-9]*"` : html``;
  return layout(
    page,
    pageTitle(page, title, messagesOf(view.errors)[0]),
    html`<h1>${title}</h1>
${progressLine(page, view.progress)}
<p>${view.reason}</p>
${summary(view.errors)}
<form method="post" action="${view.action}" data-step="new-secret" novalidate>
  <input type="hidden" name="csrf" value="${view.csrf}">
  <input type="text" name="username" autocomplete="username" value="${view.identifier}" hidden>
  <label for="new_secret">${t(isPin ? 'setup.secret.new.pin' : 'setup.secret.new.password')}</label>
  ${isPin ? html`<p class="hint" id="new_secret-hint">${t('setup.secret.pin_hint', { n: String(view.pinLength) })}</p>` : ''}
  ${inlineError(view.errors, 'new_secret')}
  <input id="new_secret" name="new_secret" type="password" autocomplete="new-password" required aria-required="true"${wiring(view.errors, 'new_secret', isPin ? 'new_secret-hint' : undefined, true)} ${secretAttrs}>
  ${rulesHelp(t(isPin ? 'rules.help.pin' : 'rules.help.password'), view.rules)}
  <label for="confirmation">${t(isPin ? 'setup.secret.confirmation.pin' : 'setup.secret.confirmation.password')}</label>
  ${inlineError(view.errors, 'confirmation')}
  <input id="confirmation" name="confirmation" type="password" autocomplete="new-password" required aria-required="true"${wiring(view.errors, 'confirmation')} ${secretAttrs}>
  <button type="submit">${t('setup.submit')}</button>
</form>
${cancelLink(page, view.abortHref)}`,
  );
}

export interface SecurityQuestionsView extends SetupBase {
  count: number;
  /** The catalogue in the page's language. */
  questions: readonly { id: string; text: string }[];
  /** The questions chosen before an error, by position, so they need not be chosen again (answers are never sent back). */
  chosen?: readonly string[] | undefined;
}

/** Step `security-questions`: selects `question_1`…`question_N` and inputs `answer_1`…`answer_N`. */
export function securityQuestionsPage(page: PageContext, view: SecurityQuestionsView): string {
  const { t } = page;
  const title = t('setup.questions.title');
  const rows = Array.from({ length: view.count }, (_, i) => {
    const n = String(i + 1);
    const question = `question_${n}`;
    const answer = `answer_${n}`;
    const chosen = view.chosen?.[i] ?? '';
    return html`<fieldset>
  <legend>${t('setup.questions.legend', { n })}</legend>
  <label for="${question}">${t('setup.questions.question')}</label>
  ${inlineError(view.errors, question)}
  <select id="${question}" name="${question}" required aria-required="true"${wiring(view.errors, question, undefined, i === 0)}>
    <option value=""${chosen === '' ? html` selected` : ''}>${t('setup.questions.choose')}</option>
    ${view.questions.map((q) => html`<option value="${q.id}"${q.id === chosen ? html` selected` : ''}>${q.text}</option>`)}
  </select>
  <label for="${answer}">${t('setup.questions.answer')}</label>
  ${inlineError(view.errors, answer)}
  <input id="${answer}" name="${answer}" type="text" autocomplete="off" autocapitalize="none" spellcheck="false" maxlength="200" required aria-required="true"${wiring(view.errors, answer, 'answers-hint')}>
</fieldset>`;
  });
  return layout(
    page,
    pageTitle(page, title, messagesOf(view.errors)[0]),
    html`<h1>${title}</h1>
${progressLine(page, view.progress)}
<p>${t('setup.questions.intro', { n: String(view.count) })}</p>
<p class="hint" id="answers-hint">${t('setup.questions.answer_hint')}</p>
${summary(view.errors)}
<form method="post" action="${view.action}" data-step="security-questions" novalidate>
  <input type="hidden" name="csrf" value="${view.csrf}">
  ${rows}
  <button type="submit">${t('setup.submit')}</button>
</form>
${cancelLink(page, view.abortHref)}`,
  );
}

export interface PersonalDataView extends SetupBase {
  values: { email: string; emailConfirmation: string; familyName: string; givenName: string; locale: Locale };
}

/** Step `personal-data`: inputs `email`, `email_confirmation`, `family_name`, `given_name` (optional), select `locale` (`fr`, `en`). */
export function personalDataPage(page: PageContext, view: PersonalDataView): string {
  const { t } = page;
  const title = t('setup.personal.title');
  const v = view.values;
  const e = view.errors;
  const language = (code: Locale, label: string) => html`<option value="${code}" lang="${code}"${v.locale === code ? html` selected` : ''}>${label}</option>`;
  return layout(
    page,
    pageTitle(page, title, messagesOf(e)[0]),
    html`<h1>${title}</h1>
${progressLine(page, view.progress)}
<p>${t('setup.personal.intro')}</p>
${summary(e)}
<form method="post" action="${view.action}" data-step="personal-data" novalidate>
  <input type="hidden" name="csrf" value="${view.csrf}">
  <label for="email">${t('setup.personal.email')}</label>
  <p class="hint" id="email-hint">${t('setup.personal.email_hint')}</p>
  ${inlineError(e, 'email')}
  <input id="email" name="email" type="email" autocomplete="email" spellcheck="false" maxlength="254" value="${v.email}" required aria-required="true"${wiring(e, 'email', 'email-hint', true)}>
  <label for="email_confirmation">${t('setup.personal.email_confirmation')}</label>
  <p class="hint" id="email_confirmation-hint">${t('setup.personal.email_confirmation_hint')}</p>
  ${inlineError(e, 'email_confirmation')}
  <input id="email_confirmation" name="email_confirmation" type="email" autocomplete="off" spellcheck="false" maxlength="254" value="${v.emailConfirmation}" required aria-required="true"${wiring(e, 'email_confirmation', 'email_confirmation-hint')}>
  <label for="family_name">${t('setup.personal.family_name')}</label>
  ${inlineError(e, 'family_name')}
  <input id="family_name" name="family_name" type="text" autocomplete="family-name" maxlength="200" value="${v.familyName}" required aria-required="true"${wiring(e, 'family_name')}>
  <label for="given_name">${t('setup.personal.given_name')}</label>
  <p class="hint" id="given_name-hint">${t('setup.personal.optional')}</p>
  ${inlineError(e, 'given_name')}
  <input id="given_name" name="given_name" type="text" autocomplete="given-name" maxlength="200" value="${v.givenName}"${wiring(e, 'given_name', 'given_name-hint')}>
  <label for="locale">${t('setup.personal.locale')}</label>
  ${inlineError(e, 'locale')}
  <select id="locale" name="locale"${wiring(e, 'locale')}>
    ${language('fr', t('setup.personal.locale.fr'))}
    ${language('en', t('setup.personal.locale.en'))}
  </select>
  <button type="submit">${t('setup.personal.submit')}</button>
</form>
${cancelLink(page, view.abortHref)}`,
  );
}

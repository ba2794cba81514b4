import { html, type SafeHtml } from '../src/lib/html.js';
import { layout, type PageContext } from './layout.js';

type Kind = 'password' | 'pin';
export type RecoveryMethod = 'questions' | 'emailed';

export interface RecoveryCaptcha {
  svg: string;
  newHref: string;
  error?: string | undefined;
}

const alert = (message: string | SafeHtml | undefined) => (message ? html`<div class="alert" role="alert" id="form-error">${message}</div>` : '');
const describedBy = (...ids: (string | false | undefined)[]) => ids.filter(Boolean).join(' ');
const titled = (page: PageContext, title: string, error: unknown) => (error ? page.t('title.error', { title }) : title);
const back = (page: PageContext, href: string) => html`<p><a href="${href}">${page.t('recovery.back')}</a></p>`;

function textField(o: { id: string; label: string; hint?: string | undefined; value?: string | undefined; invalid: boolean; autofocus: boolean; required: boolean; attrs?: SafeHtml }) {
  const hintId = o.hint ? `${o.id}-hint` : undefined;
  const describe = describedBy(hintId, o.invalid && 'form-error');
  return html`<label for="${o.id}">${o.label}</label>
  ${o.hint ? html`<p class="hint" id="${hintId}">${o.hint}</p>` : ''}
  <input id="${o.id}" name="${o.id}" type="text" value="${o.value ?? ''}"${o.required ? html` required aria-required="true"` : ''}${describe ? html` aria-describedby="${describe}"` : ''}${o.invalid ? html` aria-invalid="true"` : ''}${o.autofocus ? html` autofocus` : ''} ${o.attrs ?? ''}>`;
}

/** Always shown on the start page: recovery is captcha-gated, not only after failures (STANDARDS.md G-10). */
function captchaBlock(page: PageContext, captcha: RecoveryCaptcha) {
  const { t } = page;
  const src = `data:image/svg+xml;base64,${Buffer.from(captcha.svg).toString('base64')}`;
  return html`<fieldset class="captcha">
  <legend>${t('captcha.legend')}</legend>
  <p class="hint" id="captcha-hint">${t('recovery.captcha.hint')}</p>
  <img src="${src}" alt="${t('captcha.alt')}" width="150" height="50">
  <p><a href="${captcha.newHref}">${t('captcha.new')}</a></p>
  <label for="captcha">${t('captcha.label')}</label>
  <input id="captcha" name="captcha" type="text" autocomplete="off" autocapitalize="none" spellcheck="false" required aria-required="true" aria-describedby="captcha-hint${captcha.error ? ' form-error' : ''}"${captcha.error ? html` aria-invalid="true" autofocus` : ''}>
</fieldset>`;
}

export interface RecoveryStartView {
  action: string;
  csrf: string;
  kind: Kind;
  schemes: readonly ('username' | 'subscription')[];
  methods: readonly RecoveryMethod[];
  /** Strict profile: the questions come after an e-mailed link. */
  linkFirst: boolean;
  values: { identifier?: string | undefined; subscription?: string | undefined; user_number?: string | undefined; method?: string | undefined };
  invalidField?: string | undefined;
  error?: string | undefined;
  captcha: RecoveryCaptcha;
  backHref: string;
}

/**
 * Step `recovery-start`: the identify step's inputs (`identifier`, or `subscription` + `user_number`),
 * `method` (`questions` | `emailed`, radios when both are offered) and `captcha`.
 */
export function recoveryStartPage(page: PageContext, view: RecoveryStartView): string {
  const { t } = page;
  const title = t(`recovery.title.${view.kind}`);
  const both = view.schemes.length > 1;
  const invalid = (name: string) => view.invalidField === name;
  const first = view.invalidField ?? (view.captcha.error ? 'captcha' : view.schemes[0] === 'subscription' ? 'subscription' : 'identifier');
  const schemes = view.schemes.map((scheme) => {
    const inner =
      scheme === 'username'
        ? textField({ id: 'identifier', label: t('identify.identifier'), hint: t('identify.identifier.hint'), value: view.values.identifier, invalid: invalid('identifier'), autofocus: first === 'identifier', required: !both, attrs: html`autocomplete="username" autocapitalize="none" spellcheck="false"` })
        : html`${textField({ id: 'subscription', label: t('identify.subscription'), hint: t('identify.subscription.hint'), value: view.values.subscription, invalid: invalid('subscription'), autofocus: first === 'subscription', required: !both, attrs: html`autocapitalize="characters" spellcheck="false"` })}
  ${textField({ id: 'user_number', label: t('identify.user_number'), hint: t('identify.user_number.hint'), value: view.values.user_number, invalid: invalid('user_number'), autofocus: first === 'user_number', required: !both, attrs: html`autocomplete="username" inputmode="numeric" spellcheck="false"` })}`;
    return both ? html`<fieldset><legend>${t(scheme === 'username' ? 'identify.username.legend' : 'identify.subscription.legend')}</legend>${inner}</fieldset>` : inner;
  });
  const methodLabel = (m: RecoveryMethod) => (m === 'emailed' ? t(`recovery.method.emailed.${view.kind}`) : t(view.linkFirst ? 'recovery.method.questions_link' : 'recovery.method.questions'));
  const methods =
    view.methods.length > 1
      ? html`<fieldset${invalid('method') ? html` aria-describedby="form-error"` : ''}><legend>${t('recovery.method.legend')}</legend>${view.methods.map(
          (m, i) => html`<div class="check"><input type="radio" id="method-${m}" name="method" value="${m}"${view.values.method === m || (!view.values.method && i === 0) ? html` checked` : ''}${invalid('method') && i === 0 ? html` autofocus` : ''}><label for="method-${m}">${methodLabel(m)}</label></div>`,
        )}</fieldset>`
      : html`<input type="hidden" name="method" value="${view.methods[0] ?? ''}">`;
  return layout(
    page,
    titled(page, title, view.error),
    html`<h1>${title}</h1>
<p>${t(`recovery.intro.${view.kind}`)}</p>
${alert(view.error)}
<form method="post" action="${view.action}" data-step="recovery-start" novalidate>
  <input type="hidden" name="csrf" value="${view.csrf}">
  ${schemes}
  ${methods}
  ${captchaBlock(page, view.captcha)}
  <button type="submit">${t('recovery.submit')}</button>
</form>
${back(page, view.backHref)}`,
  );
}

/**
 * A page with no form: `recovery-sent` (temporary secret), `recovery-link-sent` (strict profile),
 * `recovery-done`, `recovery-blocked`, `recovery-unavailable`, `recovery-link-invalid`. The first
 * two read the same whatever the identifier.
 */
export function recoveryMessagePage(page: PageContext, view: { step: string; title: string; message: string; alert?: boolean; backHref: string; again?: string | undefined }): string {
  const body = view.alert ? html`<div class="alert" role="alert" data-step="${view.step}">${view.message}</div>` : html`<p role="status" data-step="${view.step}">${view.message}</p>`;
  return layout(
    page,
    view.title,
    html`<h1>${view.title}</h1>
${body}
${view.again ? html`<p><a href="${view.again}">${page.t('recovery.start_again')}</a></p>` : ''}
<p><a class="button" href="${view.backHref}">${page.t('recovery.back')}</a></p>`,
  );
}

export interface RecoveryQuestionsView {
  action: string;
  csrf: string;
  kind: Kind;
  identifier: string;
  /** The questions' texts in order; inputs `answer_1` … `answer_n`. None once the answers were verified. */
  questions: readonly string[];
  rules: readonly string[];
  pinLength: number;
  error?: string | undefined;
  /** Which part the error is about, to tie it to its inputs. */
  invalid?: 'answers' | 'secret' | 'confirmation' | undefined;
  problems?: readonly string[] | undefined;
  notice?: string | undefined;
  backHref: string;
}

/**
 * Step `recovery-questions`: `answer_1` … `answer_n`, `secret` and `confirmation`. Step
 * `recovery-secret` (answers already verified, the new secret was refused): `secret` and
 * `confirmation` only.
 */
export function recoveryQuestionsPage(page: PageContext, view: RecoveryQuestionsView): string {
  const { t } = page;
  const kind = view.kind;
  const step = view.questions.length > 0 ? 'recovery-questions' : 'recovery-secret';
  const title = t(step === 'recovery-questions' ? 'recovery.questions.title' : `recovery.new.legend.${kind}`);
  const error = view.problems && view.problems.length > 0 ? html`${view.error ?? ''}<ul>${view.problems.map((p) => html`<li>${p}</li>`)}</ul>` : view.error;
  const focus = view.invalid ?? (view.questions.length > 0 ? 'answers' : 'secret');
  const answers = view.questions.map((q, i) => {
    const id = `answer_${i + 1}`;
    const invalid = view.invalid === 'answers';
    return html`<label for="${id}">${q}</label>
  <input id="${id}" name="${id}" type="text" autocomplete="off" spellcheck="false" maxlength="200" required aria-required="true" aria-describedby="${describedBy('answers-hint', invalid && 'form-error')}"${invalid ? html` aria-invalid="true"` : ''}${focus === 'answers' && i === 0 ? html` autofocus` : ''}>`;
  });
  const secretAttrs = kind === 'pin' ? html`inputmode="numeric" pattern="[0-9]*" maxlength="${view.pinLength}" autocomplete="new-password"` : html`autocomplete="new-password"`;
  const secretInput = (id: 'secret' | 'confirmation', label: string) => {
    const invalid = view.invalid === id;
    const describe = describedBy(id === 'secret' && kind === 'pin' && 'secret-hint', invalid && 'form-error');
    return html`<label for="${id}">${label}</label>
  ${id === 'secret' && kind === 'pin' ? html`<p class="hint" id="secret-hint">${t('pin.hint', { n: String(view.pinLength) })}</p>` : ''}
  <input id="${id}" name="${id}" type="password" required aria-required="true"${describe ? html` aria-describedby="${describe}"` : ''}${invalid ? html` aria-invalid="true"` : ''}${focus === id ? html` autofocus` : ''} ${secretAttrs}>`;
  };
  return layout(
    page,
    titled(page, title, error),
    html`<h1>${title}</h1>
<p>${t('password.intro', { identifier: view.identifier })}</p>
${view.notice ? html`<p role="status">${view.notice}</p>` : ''}
${alert(error)}
<form method="post" action="${view.action}" data-step="${step}" novalidate>
  <input type="hidden" name="csrf" value="${view.csrf}">
  <input type="text" name="username" autocomplete="username" value="${view.identifier}" hidden>
  ${view.questions.length > 0 ? html`<fieldset><legend>${t('recovery.questions.legend')}</legend><p class="hint" id="answers-hint">${t('recovery.questions.hint')}</p>${answers}</fieldset>` : ''}
  <fieldset><legend>${t(`recovery.new.legend.${kind}`)}</legend>
  ${secretInput('secret', t(`recovery.new.${kind}`))}
  ${secretInput('confirmation', t(`recovery.confirm.${kind}`))}
  ${view.rules.length > 0 ? html`<details class="help"><summary>${t(kind === 'pin' ? 'rules.help.pin' : 'rules.help.password')}</summary><ul>${view.rules.map((r) => html`<li>${r}</li>`)}</ul></details>` : ''}
  </fieldset>
  <button type="submit">${t(`recovery.change.${kind}`)}</button>
</form>
${back(page, view.backHref)}`,
  );
}

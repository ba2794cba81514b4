import { html } from '../src/lib/html.js';
import { layout, type PageContext } from './layout.js';

/**
 * Step `certificate-refused`: no form, the reason in plain words, a way back to the sign-in page
 * (on the main origin: the certificate pages may be on the TLS listener's port) and a way out.
 */
export function certificateRefusedPage(page: PageContext, view: { message: string; backHref: string; abortHref: string }): string {
  const { t } = page;
  return layout(
    page,
    t('title.error', { title: t('certificate.refused.title') }),
    html`<h1>${t('certificate.refused.title')}</h1>
<div class="alert" role="alert" data-step="certificate-refused">${view.message}</div>
<ul class="links"><li><a href="${view.backHref}">${t('certificate.refused.back')}</a></li><li><a href="${view.abortHref}">${t('cancel')}</a></li></ul>`,
  );
}

export interface CertificateRow {
  label: string;
  subject: string;
  issuer: string;
  expires: string;
}

export interface CertificateEnrolView {
  /** The profile, on the main origin (this page may be served on the TLS listener's port). */
  backHref: string;
  /** The certificates already registered for the account. */
  enrolled: readonly CertificateRow[];
  /**
   * `ask`: a link to present the certificate (the TLS listener's page); `presented`: the form to
   * register the one presented; `refused`: why it cannot be; `unavailable`: no SCA possible yet.
   */
  state:
    | { kind: 'ask'; presentHref: string }
    | { kind: 'presented'; csrf: string; action: string; certificate: Omit<CertificateRow, 'label'>; labelError?: string | undefined }
    | { kind: 'refused'; message: string; presentHref: string }
    | { kind: 'unavailable'; message: string };
}

const certificateList = (page: PageContext, rows: readonly CertificateRow[]) =>
  rows.length === 0
    ? html`<p>${page.t('certificate.profile.none')}</p>`
    : html`<ul class="certificates">${rows.map((r) => html`<li><strong>${r.label}</strong> — ${r.subject} (${page.t('certificate.profile.expires')} ${r.expires})</li>`)}</ul>`;

/**
 * `data-step="profile-certificate"`: input `label` (optional); the certificate itself comes from the
 * TLS handshake (or the trusted proxy), never from the form.
 */
export function certificateEnrolPage(page: PageContext, view: CertificateEnrolView): string {
  const { t } = page;
  const { state } = view;
  const title = t('certificate.profile.title');
  let body;
  switch (state.kind) {
    case 'ask':
      body = html`<p>${t('certificate.profile.intro')}</p><p><a class="button" href="${state.presentHref}" data-action="present-certificate">${t('certificate.profile.present')}</a></p>`;
      break;
    case 'refused':
      body = html`<div class="alert" role="alert" id="form-error" data-step="profile-certificate-refused">${state.message}</div><p><a class="button" href="${state.presentHref}" data-action="present-certificate">${t('certificate.profile.present')}</a></p>`;
      break;
    case 'unavailable':
      body = html`<p data-step="profile-certificate-unavailable">${state.message}</p>`;
      break;
    case 'presented': {
      const c = state.certificate;
      const invalid = Boolean(state.labelError);
      body = html`${invalid ? html`<div class="alert" role="alert" id="form-error">${state.labelError}</div>` : ''}
<p>${t('certificate.profile.presented')}</p>
<dl><dt>${t('certificate.profile.subject')}</dt><dd>${c.subject}</dd><dt>${t('certificate.profile.issuer')}</dt><dd>${c.issuer}</dd><dt>${t('certificate.profile.expires')}</dt><dd>${c.expires}</dd></dl>
<form method="post" action="${state.action}" data-step="profile-certificate" novalidate>
  <input type="hidden" name="csrf" value="${state.csrf}">
  <label for="label">${t('certificate.profile.label')}</label>
  <p class="hint" id="label-hint">${t('certificate.profile.label.hint')}</p>
  <input id="label" name="label" type="text" maxlength="100" autocomplete="off" aria-describedby="label-hint${invalid ? ' form-error' : ''}"${invalid ? html` aria-invalid="true"` : ''}>
  <button type="submit">${t('certificate.profile.submit')}</button>
</form>`;
      break;
    }
  }
  return layout(
    page,
    state.kind === 'refused' ? t('title.error', { title }) : title,
    html`<h1>${title}</h1>
${body}
<h2>${t('certificate.profile.enrolled')}</h2>
${certificateList(page, view.enrolled)}
<ul class="links"><li><a href="${view.backHref}">${t('profile.back')}</a></li></ul>`,
  );
}

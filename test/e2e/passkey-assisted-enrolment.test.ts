import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import * as oidc from 'openid-client';
import type { PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import { startGuichet, TEST_CLIENT, type RunningGuichet } from '../helpers/guichet.js';
import { Browser, formOf, loginWithPassword, stepOf, type Page } from '../helpers/browserless.js';
import { SoftwareAuthenticator } from '../webauthn/software-authenticator.js';
import { issueTemporarySecret } from '../../src/authenticators/secret/temporary-secret.js';
import { dueActions, findDueActions, type ActionState } from '../../src/flows/required-actions.js';

/**
 * A first passkey associated during the login an administrator's temporary code opened (an assisted
 * session, PSD2 RTS art. 24(2)): the optional `enrol-passkey` step after `new-secret`. Never after an
 * e-mailed recovery password (remote, no SCA). The software authenticator plays the browser's part.
 */
const NEW_PASSWORD = 'a brand new passphrase 2026';
let g: RunningGuichet;
let rp: oidc.Configuration;
const ids = {} as Record<'assisted' | 'skipper' | 'recovered', string>;

beforeAll(async () => {
  g = await startGuichet({ config: { webauthn: { enabled: true }, abuse: { captchaAfterFailures: 0, perIdentifier: { points: 1000 }, perIp: { points: 1000 } } } });
  const account = (username: string) => ({ username, status: 'active' as const, emailVerified: false, locale: 'en' as const, roles: [], preferences: {}, password: 'an old forgotten passphrase', passwordMustChange: false });
  await g.admin.seed({ subscriptions: [], accounts: [account('assisted'), account('skipper'), account('recovered')], clients: [{ ...TEST_CLIENT, client_id: 'plain', first_party: true }] });
  for (const name of ['assisted', 'skipper', 'recovered'] as const) ids[name] = (await g.container.repos.accounts.findByIdentifier({ scheme: 'username', username: name }))!.id;
  rp = await oidc.discovery(new URL(g.url), 'plain', undefined, oidc.ClientSecretBasic(TEST_CLIENT.client_secret), { execute: [oidc.allowInsecureRequests] });
});
afterAll(async () => g?.stop());

/** A temporary password: an administrator's (`admin`), or the one the recovery page e-mails (`recovery`). */
async function temporaryPassword(accountId: string, purpose: 'admin' | 'recovery'): Promise<string> {
  const account = (await g.container.repos.accounts.findById(accountId))!;
  const deps = { temporarySecrets: g.container.repos.temporarySecrets, hasher: g.container.hasher, clock: g.container.clock, audit: g.container.repos.audit };
  return (await issueTemporarySecret(deps, { account, kind: 'password', purpose, ttlSeconds: 600, issuedBy: purpose === 'admin' ? 'test-admin' : null, pinLength: 6 })).secret;
}

async function authorize() {
  const b = new Browser(g.url, { 'accept-language': 'en' });
  const verifier = oidc.randomPKCECodeVerifier();
  const url = oidc.buildAuthorizationUrl(rp, { redirect_uri: TEST_CLIENT.redirect_uris[0]!, scope: 'openid', code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' });
  return { b, verifier, url: url.href };
}

/** Logs in with the temporary password and chooses a new one: the page that follows. */
async function loginAndChoose(username: string, temporary: string) {
  const { b, verifier, url } = await authorize();
  const page = await loginWithPassword(b, url, username, temporary);
  expect(stepOf(page.body)).toBe('new-secret');
  const form = formOf(page.body, 'new-secret');
  return { b, verifier, form, next: await b.follow(form.action, { form: { csrf: form.csrf, new_secret: NEW_PASSWORD, confirmation: NEW_PASSWORD } }) };
}

const decode = (s: string) => s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
const optionsOf = <T>(page: Page): T => JSON.parse(decode(/data-options="([^"]+)"/.exec(page.body)![1]!)) as T;
const subOf = async (page: Page, verifier: string) => (await oidc.authorizationCodeGrant(rp, new URL(page.url), { pkceCodeVerifier: verifier })).claims()!.sub;
const passkeysOf = (accountId: string) => g.container.repos.factors.listForAccount(accountId, 'webauthn');

describe('passkey registration in an administrator-assisted session', () => {
  test('PSD2-37 after an administrator’s temporary code, the passkey step follows the new password; registering works and the next login uses the passkey', async () => {
    const { b, verifier, next } = await loginAndChoose('assisted', await temporaryPassword(ids.assisted, 'admin'));
    expect(next.status).toBe(200);
    expect(stepOf(next.body)).toBe('enrol-passkey');
    expect(next.body).toContain('data-step="enrol-passkey-skip"');
    expect(next.body).toContain('Add a passkey');
    const options = optionsOf<PublicKeyCredentialCreationOptionsJSON>(next);
    expect(options.authenticatorSelection?.userVerification).toBe('required');
    expect(options.rp.id).toBe('localhost');

    // A response the server did not ask for (another challenge) is refused, and the page comes again.
    const device = new SoftwareAuthenticator(g.url);
    const form = formOf(next.body, 'enrol-passkey');
    const stale = await b.follow(form.action, { form: { csrf: form.csrf, label: 'Phone', response: JSON.stringify(device.create({ ...options, challenge: 'AAAAAAAAAAAAAAAAAAAAAA' }).response) } });
    expect(stale.status).toBe(400);
    expect(stepOf(stale.body)).toBe('enrol-passkey');
    expect(stale.body).toMatch(/role="alert"[^>]*>[^<]+/);
    expect(await passkeysOf(ids.assisted)).toEqual([]);

    const fresh = optionsOf<PublicKeyCredentialCreationOptionsJSON>(stale);
    const again = formOf(stale.body, 'enrol-passkey');
    const done = await b.follow(again.action, { form: { csrf: again.csrf, label: 'Phone', response: JSON.stringify(device.create(fresh).response) } });
    expect(new URL(done.url).searchParams.get('code')).toBeTruthy();
    expect(await subOf(done, verifier)).toBe(ids.assisted);
    const [passkey] = await passkeysOf(ids.assisted);
    expect(passkey).toMatchObject({ kind: 'webauthn', label: 'Phone' });

    // The audit shows where the association happened: an administrator-assisted session.
    const events = await g.container.repos.audit.list({ action: 'factor.enrol', limit: 10 });
    expect(events.filter((e) => e.accountId === ids.assisted).map((e) => [e.result, e.details])).toEqual([
      ['success', expect.objectContaining({ kind: 'webauthn', via: 'admin_temporary_code', credentialId: passkey!.id })],
      ['failure', { kind: 'webauthn', via: 'admin_temporary_code' }],
    ]);

    // The next login: the passkey alone, usernameless.
    const later = await authorize();
    const identify = await later.b.follow(later.url);
    const start = formOf(identify.body, 'passkey-start');
    const ceremony = await later.b.follow(start.action, { form: { csrf: start.csrf } });
    const request = optionsOf<PublicKeyCredentialRequestOptionsJSON>(ceremony);
    const form2 = formOf(ceremony.body, 'passkey');
    const out = await later.b.follow(form2.action, { form: { csrf: form2.csrf, response: JSON.stringify(device.get(request)) } });
    expect(await subOf(out, later.verifier)).toBe(ids.assisted);
  });

  test('PSD2-37 the passkey step can be skipped, and is not offered again at an ordinary login', async () => {
    const { b, verifier, next } = await loginAndChoose('skipper', await temporaryPassword(ids.skipper, 'admin'));
    expect(stepOf(next.body)).toBe('enrol-passkey');
    const skip = formOf(next.body, 'enrol-passkey-skip');
    const done = await b.follow(skip.action, { form: { csrf: skip.csrf } });
    expect(await subOf(done, verifier)).toBe(ids.skipper);
    expect(await passkeysOf(ids.skipper)).toEqual([]);
    expect(await g.container.repos.audit.list({ action: 'factor.enrol_declined', limit: 5 })).toEqual([expect.objectContaining({ accountId: ids.skipper, details: { kind: 'webauthn', via: 'admin_temporary_code' } })]);

    const ordinary = await authorize();
    const page = await loginWithPassword(ordinary.b, ordinary.url, 'skipper', NEW_PASSWORD);
    expect(new URL(page.url).searchParams.get('code')).toBeTruthy();
  });

  test('PSD2-37 after an e-mailed recovery password (remote, no SCA) no passkey is offered: the login ends after the new password', async () => {
    const { b, verifier, form, next } = await loginAndChoose('recovered', await temporaryPassword(ids.recovered, 'recovery'));
    expect(next.body).not.toContain('enrol-passkey');
    expect(await subOf(next, verifier)).toBe(ids.recovered);
    // Nor can the step be posted to.
    const skipped = await b.follow(form.action.replace(/new-secret$/, 'enrol-passkey/skip'), { form: { csrf: form.csrf } });
    expect(skipped.status).toBeGreaterThanOrEqual(400);
    expect(await passkeysOf(ids.recovered)).toEqual([]);
  });

  test('PSD2-37 the step is due only when offered and the account has no strong factor yet', async () => {
    const state: ActionState = { registering: false, secret: null, now: new Date(), temporarySecretUsed: true, answersStored: true, personalDone: false, offerPasskey: true };
    expect(dueActions(state, [])).toEqual([
      { action: 'new-secret', reason: 'temporary_secret_used' },
      { action: 'enrol-passkey', reason: 'assisted_enrolment' },
    ]);
    expect(dueActions({ ...state, temporarySecretUsed: false }, [])).toEqual([{ action: 'enrol-passkey', reason: 'assisted_enrolment' }]);
    const account = (await g.container.repos.accounts.findById(ids.assisted))!;
    const deps = { credentials: g.container.repos.credentials, securityAnswers: g.container.repos.securityAnswers, factors: g.container.repos.factors, clock: g.container.clock, config: g.container.config };
    // `assisted` now has a passkey: nothing more to offer; `recovered` has none.
    expect(await findDueActions(deps, { account, kind: 'password', temporarySecretUsed: false, personalDone: false, assistedEnrolment: true })).toEqual([]);
    const bare = (await g.container.repos.accounts.findById(ids.recovered))!;
    expect(await findDueActions(deps, { account: bare, kind: 'password', temporarySecretUsed: false, personalDone: false, assistedEnrolment: true })).toEqual([{ action: 'enrol-passkey', reason: 'assisted_enrolment' }]);
    expect(await findDueActions(deps, { account: bare, kind: 'password', temporarySecretUsed: false, personalDone: false, assistedEnrolment: false })).toEqual([]);
  });
});

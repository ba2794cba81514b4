import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { runGuichet, jsonOf } from '../helpers/cli.js';
import { startGuichet, TEST_CLIENT, type RunningGuichet } from '../helpers/guichet.js';
import type { AuthContext } from '../../src/authenticators/contract.js';
import { createOathEnrolment } from '../../src/authenticators/oath/enrolment.js';
import { createHotpAuthenticator } from '../../src/authenticators/oath/hotp-authenticator.js';
import { generateHotp } from '../../src/authenticators/oath/oath-codes.js';
import { createEmvCapAuthenticator } from '../../src/authenticators/emv-cap/emv-cap-authenticator.js';
import { enrolCapCard } from '../../src/authenticators/emv-cap/enrol-cap-card.js';
import { createSoftwareCardKeyOperations } from '../../src/authenticators/emv-cap/software-card-keys.js';
import { createDemoCard } from '../../src/authenticators/emv-cap/simulator/demo-card.js';
import { createSimulatedCard } from '../../src/authenticators/emv-cap/simulator/simulated-card.js';
import { createCapReader } from '../../src/authenticators/emv-cap/simulator/cap-reader.js';

/**
 * An administrator resynchronises a token or card that ran ahead of its counter (RFC 4226 §7.4,
 * EMV-CAP.md §6.4): by `guichet factor resync` and by the admin API, with two consecutive codes.
 */
const OPERATOR = { client_id: 'operator', client_secret: 'operator-secret-value-long-enough-0123456789' };
const HOTP_SECRET = randomBytes(20);
const tokenCode = (counter: number) => generateHotp(HOTP_SECRET, counter, { algorithm: 'SHA1', digits: 6 });
const demo = createDemoCard({ pan: '4970111122223333' });

let g: RunningGuichet;
let operatorToken: string;
const ids = {} as Record<'token' | 'card' | 'hotp' | 'cap', string>;

const guichet = (args: string[], stdin: string) => runGuichet(args, { env: { DATABASE_URL: g.container.config.databaseUrl! }, stdin });

async function api(path: string, body: unknown) {
  const response = await fetch(`${g.url}/admin/api${path}`, { method: 'POST', headers: { authorization: `Bearer ${operatorToken}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

async function contextOf(accountId: string): Promise<AuthContext> {
  return { flowId: 'resync-test', account: await g.container.repos.accounts.findById(accountId), now: g.container.clock.now(), ip: '127.0.0.1', userAgent: 'jest' };
}

/** What the login pages do with a typed code: the same verifiers over the same database. */
const hotpLogin = async (accountId: string, code: string) => createHotpAuthenticator({ factors: g.container.repos.factors, clock: g.container.clock, policy: g.container.config.oath }).verify(await contextOf(accountId), { code });
const cardLogin = async (accountId: string, code: string) =>
  createEmvCapAuthenticator({ factors: g.container.repos.factors, keys: createSoftwareCardKeyOperations({ issuerKeys: demo.issuerKeys }) }).verify(await contextOf(accountId), { code }, { mode: 'identify' });

const auditOf = async (action: string) => g.container.db('audit_events').where({ action }).orderBy('id').select('result', 'actor', 'reason', 'details');

beforeAll(async () => {
  g = await startGuichet({ config: { emvCap: { issuerKeys: demo.issuerKeys } } });
  await g.admin.seed({
    subscriptions: [{ identifier: 'SUB-R', name: 'Resync' }],
    accounts: [
      { username: 'token.holder', subscription: 'SUB-R', userNumber: '01', status: 'active', emailVerified: false, locale: 'fr', roles: [], preferences: {}, passwordMustChange: false },
      { username: 'card.holder', subscription: 'SUB-R', userNumber: '02', status: 'active', emailVerified: false, locale: 'fr', roles: [], preferences: {}, passwordMustChange: false },
    ],
    clients: [{ ...TEST_CLIENT, first_party: true }],
  });
  ids.token = (await g.container.repos.accounts.findByIdentifier({ scheme: 'username', username: 'token.holder' }))!.id;
  ids.card = (await g.container.repos.accounts.findByIdentifier({ scheme: 'username', username: 'card.holder' }))!.id;
  const oath = createOathEnrolment({ factors: g.container.repos.factors, clock: g.container.clock, policy: g.container.config.oath });
  ids.hotp = (await oath.importHotpToken(ids.token, { serial: 'TOK-R1', secret: HOTP_SECRET.toString('hex'), encoding: 'hex', counter: 0 })).id;
  ids.cap = (await enrolCapCard({ factors: g.container.repos.factors, keys: createSoftwareCardKeyOperations({ issuerKeys: demo.issuerKeys }) }, { accountId: ids.card, ...demo.enrolment })).credential.id;
  const operatorMetadata = { client_secret: OPERATOR.client_secret, grant_types: ['client_credentials'], response_types: [], redirect_uris: [], token_endpoint_auth_method: 'client_secret_basic', scope: 'admin' };
  await g.container.repos.clients.save({ clientId: OPERATOR.client_id, firstParty: true, metadata: operatorMetadata });
  const response = await fetch(`${g.url}/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${OPERATOR.client_id}:${OPERATOR.client_secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'admin' }),
  });
  operatorToken = ((await response.json()) as { access_token: string }).access_token;
});
afterAll(async () => g?.stop());

describe('resynchronisation by an administrator', () => {
  test('N3-15 an HOTP token far ahead of its counter is refused, resynchronised by guichet factor resync with two consecutive codes, then its next code works', async () => {
    // The token was pressed 40 times away from the server: counter 40 is beyond the look-ahead (10).
    expect(await hotpLogin(ids.token, tokenCode(40))).toEqual({ kind: 'rejected', reason: 'wrong_secret' });

    const [gap, one, usage] = await Promise.all([
      guichet(['factor', 'resync', 'token.holder', ids.hotp, '--codes-stdin'], `${tokenCode(41)}\n${tokenCode(43)}\n`),
      guichet(['factor', 'resync', 'token.holder', ids.hotp, '--codes-stdin'], `${tokenCode(41)}\n`),
      guichet(['factor', 'resync', 'token.holder', ids.hotp, tokenCode(41)], ''),
    ]);
    expect(gap.code).toBe(1);
    expect(gap.stderr).toContain('not consecutive codes');
    expect(one.code).toBe(1);
    expect(one.stderr).toContain('two codes of digits are needed');
    expect(usage.code).toBe(2);

    // Two lines, as the user reads them off the token one press after the other.
    const done = jsonOf(await guichet(['factor', 'resync', 'token.holder', ids.hotp, '--codes-stdin', '--json'], `${tokenCode(41)}\n${tokenCode(42)}\n`));
    expect(done).toEqual({ changed: true, credentialId: ids.hotp, kind: 'hotp', counter: 42 });
    // Both codes, and every earlier one, are spent; the next press works.
    const again = await guichet(['factor', 'resync', 'token.holder', ids.hotp, '--codes-stdin'], `${tokenCode(41)} ${tokenCode(42)}`);
    expect(again.code).toBe(1);
    expect(await hotpLogin(ids.token, tokenCode(42))).toEqual({ kind: 'rejected', reason: 'replayed' });
    expect(await hotpLogin(ids.token, tokenCode(43))).toMatchObject({ kind: 'verified', evidence: { credentialId: ids.hotp, counter: 43 } });

    const events = await auditOf('admin.factor.resync');
    expect(events).toEqual([
      { result: 'failure', actor: 'cli', reason: 'no_match', details: { kind: 'hotp', credentialId: ids.hotp, environment: 'cli' } },
      { result: 'success', actor: 'cli', reason: null, details: { kind: 'hotp', credentialId: ids.hotp, environment: 'cli', counter: 42 } },
      { result: 'failure', actor: 'cli', reason: 'no_match', details: { kind: 'hotp', credentialId: ids.hotp, environment: 'cli' } },
    ]);
    const trail = JSON.stringify(await g.container.db('audit_events').select('*'));
    for (const c of [40, 41, 42, 43].map(tokenCode)) expect(trail).not.toContain(c);
  });

  test('N3-15 a card far ahead of its ATC is refused, resynchronised through the admin API with two consecutive Identify codes (both then spent), then its next code works', async () => {
    // 500 sessions used away from the server, beyond the ATC window.
    const card = createSimulatedCard({ ...demo.card, atc: demo.card.atc + 500 });
    const reader = createCapReader({ reader: demo.enrolment.profile.reader });
    const press = async () => {
      const r = await reader.generateCode(card, { pin: demo.card.pin, request: { mode: 'identify' } });
      if (r.kind !== 'code') throw new Error(r.reason);
      return r.code;
    };
    expect(await cardLogin(ids.card, await press())).toMatchObject({ kind: 'rejected' });
    const [a, b] = [await press(), await press()];
    for (let i = 0; i < 4; i++) await press();
    // Five sessions apart: more than the resynchronisation's largest gap (3).
    const later = await press();

    const gap = await api(`/accounts/${ids.card}/factors/${ids.cap}/resync`, { codes: [b, later] });
    expect(gap.status).toBe(400);
    expect(gap.body.type).toBe('urn:guichet:error:no_match');
    const malformed = await api(`/accounts/${ids.card}/factors/${ids.cap}/resync`, { codes: [a] });
    expect(malformed.status).toBe(400);
    const elsewhere = await api(`/accounts/${ids.token}/factors/${ids.cap}/resync`, { codes: [a, b] });
    expect(elsewhere.status).toBe(404);

    const done = await api(`/accounts/${ids.card}/factors/${ids.cap}/resync`, { codes: [a, b] });
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ credential: { id: ids.cap, kind: 'emv-cap' }, counter: demo.card.atc + 503 });
    expect(await cardLogin(ids.card, b)).toMatchObject({ kind: 'rejected' });
    expect(await cardLogin(ids.card, later)).toMatchObject({ kind: 'verified', evidence: { credentialId: ids.cap, atc: demo.card.atc + 508 } });

    const events = (await auditOf('admin.factor.resync')).filter((e) => e.details.environment === 'admin-api');
    expect(events.map((e) => [e.result, e.reason, e.details.kind])).toEqual([
      ['failure', 'no_match', 'emv-cap'],
      ['failure', 'no_credential', null],
      ['success', null, 'emv-cap'],
    ]);
  });

  test('a factor that has no counter cannot be resynchronised (409 not_resynchronisable)', async () => {
    const totp = await g.container.repos.factors.create({ accountId: ids.token, kind: 'totp', data: { secret: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP', algorithm: 'SHA1', digits: 6, period: 30 } });
    const r = await api(`/accounts/${ids.token}/factors/${totp.id}/resync`, { codes: ['123456', '654321'] });
    expect(r.status).toBe(409);
    expect(r.body.type).toBe('urn:guichet:error:not_resynchronisable');
  });
});

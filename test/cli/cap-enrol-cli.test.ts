import { describe, test, expect, beforeAll, afterAll } from '@jest/globals';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { runGuichet, jsonOf } from '../helpers/cli.js';
import { createTestDatabase, testRedisPrefix, TEST_REDIS_URL } from '../helpers/services.js';
import { demoFixture } from '../../src/admin/demo-fixture.js';
import { loadConfig } from '../../src/config/load.js';
import { createCoreContainer, type Container } from '../../src/container.js';
import { fromHex } from '../../src/authenticators/emv-cap/bytes.js';
import { computeKeyCheckValue } from '../../src/authenticators/emv-cap/compute-key-check-value.js';
import { createEmvCapAuthenticator } from '../../src/authenticators/emv-cap/emv-cap-authenticator.js';
import { createSoftwareCardKeyOperations } from '../../src/authenticators/emv-cap/software-card-keys.js';
import { createDemoCard, DEMO_ISSUER_KEY, DEMO_ISSUER_KEY_ID } from '../../src/authenticators/emv-cap/simulator/demo-card.js';
import type { AuthContext } from '../../src/authenticators/contract.js';

let database: { url: string; drop(): Promise<void> };
let sql: pg.Client;
let scratch: string;
let container: Container;
const transcript: string[] = [];
const ISSUER_KEYS = JSON.stringify({ [DEMO_ISSUER_KEY_ID]: DEMO_ISSUER_KEY });

/** Runs `guichet` as a child process (test/helpers/cli.ts); the server's issuer keys hold the demo one. */
const guichet = (args: string[], stdin = '') => runGuichet(args, { env: { DATABASE_URL: database.url, GUICHET_CAP_ISSUER_KEYS: ISSUER_KEYS }, stdin, transcript });

/** A card the bank personalised with an ICC key of its own, as a key custodian hands it over: the key and its KCV. */
const bankCard = createDemoCard({ pan: '4970123456781234', psn: '01', keySource: 'imported', atc: 40 });
const cardKey = bankCard.card.iccKey;
const cardKcv = computeKeyCheckValue(fromHex(cardKey));

const enrolArgs = (kcv: string, extra: string[] = []) => ['cap', 'enrol', 'claire.martin', '--pan', bankCard.enrolment.pan, '--psn', '01', '--key-stdin', '--profile', 'visa-cvn10-uk', '--atc', '40', '--kcv', kcv, ...extra];

/** The verifier the login pages use, over the same database. */
const verifier = () => createEmvCapAuthenticator({ factors: container.repos.factors, keys: createSoftwareCardKeyOperations({ issuerKeys: { [DEMO_ISSUER_KEY_ID]: DEMO_ISSUER_KEY } }) });
async function contextOf(username: string): Promise<AuthContext> {
  const account = await container.repos.accounts.findByIdentifier({ scheme: 'username', username });
  return { flowId: 'cli-test', account, now: container.clock.now(), ip: '127.0.0.1', userAgent: 'jest' };
}

beforeAll(async () => {
  database = await createTestDatabase();
  sql = new pg.Client({ connectionString: database.url });
  await sql.connect();
  scratch = await mkdtemp(join(tmpdir(), 'guichet-cap-enrol-'));
  const file = join(scratch, 'demo.json');
  await writeFile(file, JSON.stringify(demoFixture('http://localhost:3000')));
  expect(jsonOf(await guichet(['seed', file, '--json']))).toMatchObject({ accounts: 3 });
  container = await createCoreContainer(loadConfig({}, { databaseUrl: database.url, redisUrl: TEST_REDIS_URL, redisPrefix: testRedisPrefix(), logLevel: 'silent' }));
});

afterAll(async () => {
  await container?.close();
  await sql?.end();
  await database?.drop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe('guichet cap enrol', () => {
  test('CAP-01 a wrong key check value is refused: nothing stored, the refusal audited without the key', async () => {
    const wrongKcv = cardKcv.startsWith('00') ? '111111' : '000000';
    const [wrong, keyInArgs, both, missingKcv] = await Promise.all([
      guichet(enrolArgs(wrongKcv), `${cardKey}\n`),
      guichet(['cap', 'enrol', 'claire.martin', '--pan', bankCard.enrolment.pan, '--psn', '01', '--key', cardKey, '--profile', 'visa-cvn10-uk', '--kcv', cardKcv]),
      guichet([...enrolArgs(cardKcv), '--issuer-key', DEMO_ISSUER_KEY_ID], `${cardKey}\n`),
      guichet(['cap', 'enrol', 'claire.martin', '--pan', bankCard.enrolment.pan, '--psn', '01', '--key-stdin', '--profile', 'visa-cvn10-uk']),
    ]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('the key does not match the key check value given');
    for (const usage of [keyInArgs, both, missingKcv]) expect(usage.code).toBe(2);
    expect(keyInArgs.stderr).toContain("Unknown option '--key'");
    expect(both.stderr).toContain('either --key-stdin');
    expect(missingKcv.stderr).toContain('--kcv is required');
    expect((await sql.query(`select count(*)::int as n from credentials where kind = 'emv-cap'`)).rows[0].n).toBe(0);
    const events = (await sql.query(`select result, actor, reason, details from audit_events where action = 'admin.factor.enrol'`)).rows;
    expect(events).toEqual([{ result: 'failure', actor: 'cli', reason: 'wrong_kcv', details: { kind: 'emv-cap', environment: 'cli', pan: '•••• 1234' } }]);
  });

  test('CAP-01 a card enrolled from its record and key makes codes the verifier accepts once', async () => {
    const malformed = await guichet(enrolArgs(cardKcv), 'not-a-key\n');
    expect(malformed.code).toBe(1);
    expect(malformed.stderr).toContain('the card key on stdin must be 16 bytes');

    const [enrolled, help] = await Promise.all([guichet([...enrolArgs(cardKcv.slice(0, 4).toLowerCase(), ['--label', 'Carte pro']), '--json'], `${cardKey}\n`), guichet(['help', 'cap'])]);
    const result = jsonOf(enrolled);
    expect(result).toEqual({ changed: true, credential: expect.objectContaining({ kind: 'emv-cap', label: 'Carte pro' }), pan: '•••• 1234', profile: 'visa-cvn10-uk', kcv: cardKcv });
    expect(help.stdout).toContain('guichet cap enrol <username | SUBSCRIPTION/USERNUMBER> --pan P');
    const [row] = (await sql.query(`select counter, account_id from credentials where id = $1`, [result.credential.id])).rows;
    expect(Number(row.counter)).toBe(40);

    // The card in its reader, as `guichet cap-reader` uses it: the bank's card, PIN 1234.
    const cardFile = join(scratch, 'bank-card.json');
    await writeFile(cardFile, JSON.stringify({ card: bankCard.card, reader: bankCard.enrolment.profile.reader }), { mode: 0o600 });
    const pressed = await guichet(['cap-reader', '--card', cardFile, '--mode', 'identify', '--pin-stdin'], '1234\n');
    expect(pressed.code).toBe(0);
    const code = pressed.stdout.trim();
    const cap = verifier();
    const ctx = await contextOf('claire.martin');
    expect(await cap.verify(ctx, { code }, { mode: 'identify' })).toEqual({ kind: 'verified', accountId: row.account_id, evidence: { credentialId: result.credential.id, atc: 41, mode: 'identify', resynchronised: false } });
    expect(await cap.verify(ctx, { code }, { mode: 'identify' })).toEqual({ kind: 'rejected', reason: 'replayed' });

    const events = (await sql.query(`select result, details from audit_events where action = 'admin.factor.enrol' and result = 'success'`)).rows;
    expect(events).toEqual([{ result: 'success', details: { kind: 'emv-cap', environment: 'cli', credentialId: result.credential.id, kcv: cardKcv } }]);
    const audit = JSON.stringify((await sql.query(`select * from audit_events`)).rows);
    for (const out of [...transcript, audit]) {
      expect(out.toUpperCase()).not.toContain(cardKey.toUpperCase());
      expect(out).not.toContain(bankCard.enrolment.pan);
    }
  });

  test('CAP-01 a card derived from a configured issuer master key (option A) is enrolled by its key id', async () => {
    const issued = createDemoCard({ pan: '4970123456785678', psn: null });
    const kcv = computeKeyCheckValue(fromHex(issued.card.iccKey));
    const base = ['cap', 'enrol', 'demo', '--pan', issued.enrolment.pan, '--psn', 'none', '--issuer-key', DEMO_ISSUER_KEY_ID, '--profile', 'visa-cvn10-uk', '--kcv'];
    const [unknownKey, enrolled] = await Promise.all([guichet([...base.slice(0, 8), 'nope', ...base.slice(9), kcv]), guichet([...base, kcv, '--derivation', 'a'])]);
    expect(unknownKey.code).toBe(1);
    expect(unknownKey.stderr).toContain('no issuer master key "nope"');
    expect(enrolled.code).toBe(0);
    expect(enrolled.stdout).toMatch(/^card\s+•••• 5678$/m);
    expect(enrolled.stdout).toMatch(new RegExp(`^KCV\\s+${kcv}$`, 'm'));
    expect(enrolled.stdout).toMatch(/^profile\s+visa-cvn10-uk$/m);
  });
});

import { describe, test, expect } from '@jest/globals';
import { runGuichet, jsonOf, useDemoDatabase } from '../helpers/cli.js';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeBase32, encodeBase32, generateTotp } from '../../src/authenticators/oath/oath-codes.js';
import { DEMO_CREDENTIALS, DEMO_TOTP_SECRET, demoFixture } from '../../src/admin/demo-fixture.js';
import { fixtureSchema } from '../../src/admin/fixture.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const APP = { algorithm: 'SHA1', digits: 6, period: 30 } as const;


const demo = useDemoDatabase('factor-cli');
/** Every byte the CLI printed, to prove that no seed shows where none should. */
const transcript: string[] = [];

/**
 * Runs `guichet` as a child process. `stdin` is either written at once, or computed from what the
 * command printed so far (the answer to `factor enrol-totp`, which prints its secret first).
 */
/** Runs `guichet` as a child process (test/helpers/cli.ts). */
const guichet = (args: string[], stdin: string | ((stdout: string) => string | null) = '') => runGuichet(args, { env: { DATABASE_URL: demo.url }, stdin, transcript });


const query = async <T = any>(text: string, values: unknown[] = []): Promise<T[]> => (await demo.sql.query(text, values)).rows as T[];

/** The codes an app shows around now (one step either side), as the server accepts them. */
const codesAround = (secret: string, at = new Date()): string[] => [-30_000, 0, 30_000].map((d) => generateTotp(decodeBase32(secret), new Date(at.getTime() + d), APP));

/** The secret `factor enrol-totp` printed: `secret  …` in text, the first JSON line with --json. */
function printedSecret(stdout: string): string | null {
  const line = stdout.split('\n')[0]!;
  if (line.startsWith('{')) return (JSON.parse(line) as { enrolment: { secret: string } }).enrolment.secret;
  return /^secret\s+([A-Z2-7]+)$/m.exec(stdout)?.[1] ?? null;
}

const HOTP_SECRET = randomBytes(20);
const enrolSecrets: string[] = [];
let seededTotpId: string;
let enrolledTotpId: string;
let hotpId: string;


describe('guichet factor and totp-code', () => {
  test('the demo account has a documented TOTP secret, and totp-code computes its codes', async () => {
    expect(decodeBase32(DEMO_TOTP_SECRET).toString('utf8')).toBe('guichet-demo-totp-20');
    expect(DEMO_CREDENTIALS[0].note).toContain(DEMO_TOTP_SECRET);
    expect(DEMO_CREDENTIALS[0].note).toContain('totp-code');
    expect(fixtureSchema.safeParse(demoFixture('http://localhost:3000')).success).toBe(true);
    const bad = fixtureSchema.safeParse({ accounts: [{ username: 'x', totp: { secret: 'not base32!' } }, { username: 'y', totp: { secret: 'GEZDGNBV' } }] });
    expect(bad.error?.issues.map((i) => i.path.join('.'))).toEqual(['accounts.0.totp.secret', 'accounts.1.totp.secret']);

    const before = new Date();
    const [list, text, code, codeJson, notBase32, noStdinFlag, help, usageSecret, usageDigits, usageSerial, usageCode] = await Promise.all([
      guichet(['factor', 'list', 'demo', '--json']),
      guichet(['factor', 'list', 'ACME-001/01']),
      guichet(['totp-code', '--secret-stdin'], `${DEMO_TOTP_SECRET}\n`),
      guichet(['totp-code', '--secret-stdin', '--json'], DEMO_TOTP_SECRET.toLowerCase()),
      guichet(['totp-code', '--secret-stdin'], 'not base32!\n'),
      // Usage errors answer before the database is opened: they run alongside.
      guichet(['totp-code']),
      guichet(['help', 'factor']),
      guichet(['factor', 'import-hotp', 'claire.martin', '--serial', 'TOK-0002', '--secret', HOTP_SECRET.toString('hex')]),
      guichet(['factor', 'import-hotp', 'claire.martin', '--serial', 'TOK-0002', '--secret-stdin', '--digits', '7']),
      guichet(['factor', 'import-hotp', 'claire.martin', '--secret-stdin']),
      guichet(['factor', 'enrol-totp', 'demo']),
    ]);
    const after = new Date();
    const factors = jsonOf(list).factors;
    expect(factors).toEqual([{ id: expect.any(String), kind: 'totp', label: 'demo app', serial: null, createdAt: expect.any(String), lastUsedAt: null, failedCount: 0, blocked: false, blockedAt: null, blockedUntil: null }]);
    seededTotpId = factors[0].id;
    expect(text.stdout).toMatch(/^ID\s+KIND\s+LABEL\s+SERIAL\s+CREATED\s+LAST USED\s+BLOCKED$/m);
    expect(text.stdout).toMatch(new RegExp(`^${seededTotpId}\\s+totp\\s+demo app\\s+\\S+\\s+never\\s+no$`, 'm'));
    // The code of the step at the start or at the end of the call (it may have crossed a boundary).
    const expected = [generateTotp(decodeBase32(DEMO_TOTP_SECRET), before, APP), generateTotp(decodeBase32(DEMO_TOTP_SECRET), after, APP)];
    expect(code.code).toBe(0);
    expect(expected).toContain(code.stdout.trim());
    expect(expected).toContain(jsonOf(codeJson).code);
    expect(jsonOf(codeJson)).toMatchObject({ algorithm: 'SHA1', digits: 6, period: 30, validUntil: expect.any(String) });
    expect(notBase32.code).toBe(1);
    expect(notBase32.stderr).toContain('not base32');
    for (const run of [noStdinFlag, usageSecret, usageDigits, usageSerial, usageCode]) {
      expect(run.code).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toContain('Usage');
    }
    expect(noStdinFlag.stderr).toContain('--secret-stdin is required');
    expect(usageSecret.stderr).toContain("Unknown option '--secret'");
    expect(usageDigits.stderr).toContain('--digits must be one of 6, 8');
    expect(usageSerial.stderr).toContain('--serial is required');
    expect(usageCode.stderr).toContain('--code-stdin is required');
    for (const name of ['factor list', 'factor import-hotp', 'factor enrol-totp', 'factor revoke']) expect(help.stdout).toContain(`guichet ${name}`);
    for (const run of [list, text]) expect(run.stdout).not.toContain(DEMO_TOTP_SECRET);
  });

  test('import-hotp stores a token whose serial list shows, without its seed; a serial is enrolled once', async () => {
    const imported = await guichet(['factor', 'import-hotp', 'claire.martin', '--serial', 'TOK-0001', '--secret-stdin', '--encoding', 'hex', '--counter', '5', '--digits', '8', '--label', 'desk token', '--json'], `${HOTP_SECRET.toString('hex')}\n`);
    const credential = jsonOf(imported).credential;
    expect(credential).toMatchObject({ kind: 'hotp', label: 'desk token', serial: 'TOK-0001', lastUsedAt: null, blocked: false });
    hotpId = credential.id;

    const [duplicate, short, listed, text] = await Promise.all([
      guichet(['factor', 'import-hotp', 'demo', '--serial', 'TOK-0001', '--secret-stdin', '--json'], encodeBase32(randomBytes(20))),
      guichet(['factor', 'import-hotp', 'claire.martin', '--serial', 'TOK-0003', '--secret-stdin', '--encoding', 'hex'], randomBytes(15).toString('hex')),
      guichet(['factor', 'list', 'claire.martin', '--json']),
      guichet(['factor', 'list', 'claire.martin']),
    ]);
    expect(duplicate.code).toBe(1);
    expect(duplicate.stderr).toContain('serial TOK-0001 already enrolled');
    expect(JSON.parse(duplicate.stdout)).toEqual({ error: { code: 'conflict', message: expect.stringContaining('already enrolled') } });
    expect(short.code).toBe(1);
    expect(short.stderr).toContain('must be 16 to 64 bytes, got 15');
    expect(jsonOf(listed).factors).toEqual([credential]);
    expect(text.stdout).toMatch(new RegExp(`^${hotpId}\\s+hotp\\s+desk token\\s+TOK-0001\\s+\\S+\\s+never\\s+no$`, 'm'));
    expect(await query(`select a.username, c.kind, c.counter from credentials c join accounts a on a.id = c.account_id where c.kind = 'hotp'`)).toEqual([{ username: 'claire.martin', kind: 'hotp', counter: '4' }]);
    for (const run of [imported, listed, text]) {
      expect(run.stdout).not.toContain(HOTP_SECRET.toString('hex'));
      expect(run.stdout).not.toContain(encodeBase32(HOTP_SECRET));
      expect(run.stdout).not.toMatch(/secret|sealed/i);
    }
  });

  test('enrol-totp prints the secret once and stores the credential only after a right first code', async () => {
    const [enrolled, wrong] = await Promise.all([
      // Re-enrolment of the demo account: the seeded credential is replaced.
      guichet(['factor', 'enrol-totp', 'demo', '--code-stdin', '--label', 'phone', '--json'], (out) => {
        const secret = printedSecret(out);
        if (!secret) return null;
        enrolSecrets.push(secret);
        return `${generateTotp(decodeBase32(secret), new Date(), APP)}\n`;
      }),
      guichet(['factor', 'enrol-totp', 'claire.martin', '--code-stdin'], (out) => {
        const secret = printedSecret(out);
        if (!secret) return null;
        enrolSecrets.push(secret);
        const near = codesAround(secret);
        return `${['000000', '111111', '222222', '333333'].find((c) => !near.includes(c))}\n`;
      }),
    ]);

    const [first, ...rest] = enrolled.stdout.split('\n');
    const { enrolment } = JSON.parse(first!);
    expect(enrolment.secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(enrolment.otpauthUri).toBe(`otpauth://totp/Guichet:demo?secret=${enrolment.secret}&issuer=Guichet&algorithm=SHA1&digits=6&period=30`);
    const result = JSON.parse(rest.join('\n'));
    expect(enrolled.code).toBe(0);
    expect(result).toMatchObject({ changed: true, revoked: [seededTotpId], credential: { kind: 'totp', label: 'phone', serial: null } });
    enrolledTotpId = result.credential.id;
    expect(JSON.stringify(result)).not.toContain(enrolment.secret);

    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toMatch(/^otpauth URI\s+otpauth:\/\/totp\/Guichet:claire\.martin\?secret=[A-Z2-7]{32}&/m);
    expect(wrong.stderr).toContain('the first code does not match: nothing was stored');

    expect(await query(`select a.username, c.kind, c.label from credentials c join accounts a on a.id = c.account_id where c.sealed_data is not null order by a.username`)).toEqual([
      { username: 'claire.martin', kind: 'hotp', label: 'desk token' },
      { username: 'demo', kind: 'totp', label: 'phone' },
    ]);
    // The first code is spent: the stored step is the one it was computed for (or a neighbour).
    const [stored] = await query(`select counter from credentials where id = $1`, [enrolledTotpId]);
    expect(Math.abs(Number(stored.counter) - Math.floor(Date.now() / 30_000))).toBeLessThanOrEqual(2);
  });

  test('revoke deletes an OATH credential of that account only', async () => {
    const [notTheirs, unknown, revoked, demo, shown] = await Promise.all([
      guichet(['factor', 'revoke', 'claire.martin', enrolledTotpId]),
      guichet(['factor', 'revoke', 'claire.martin', 'no-such-id', '--json']),
      guichet(['factor', 'revoke', 'claire.martin', hotpId, '--json']),
      guichet(['factor', 'list', 'demo', '--json']),
      guichet(['account', 'show', 'demo', '--json']),
    ]);
    expect(jsonOf(demo).factors).toEqual([expect.objectContaining({ id: enrolledTotpId, kind: 'totp', label: 'phone' })]);
    for (const secret of enrolSecrets) expect(demo.stdout + shown.stdout).not.toContain(secret);
    expect(notTheirs.code).toBe(1);
    expect(notTheirs.stderr).toContain(`account claire.martin has no TOTP or HOTP credential ${enrolledTotpId}`);
    expect(JSON.parse(unknown.stdout)).toMatchObject({ error: { code: 'not_found' } });
    expect(jsonOf(revoked)).toMatchObject({ changed: true, revoked: { id: hotpId, kind: 'hotp', serial: 'TOK-0001' } });

    const list = await guichet(['factor', 'list', 'claire.martin']);
    expect(list.stdout.trim()).toBe('account claire.martin has no strong-factor credentials');
    expect(await query(`select id from credentials where id in ($1, $2)`, [hotpId, enrolledTotpId])).toEqual([{ id: enrolledTotpId }]);
    // account show keeps passwords and PINs under credentials, and strong factors apart.
    const account = jsonOf(shown).account;
    expect(account.credentials.map((c: { kind: string }) => c.kind)).toEqual(['password']);
    expect(account.factors).toEqual([expect.objectContaining({ id: enrolledTotpId, kind: 'totp' })]);
  });

  test('factor changes are audited, and no seed reaches the audit', async () => {
    const [claire] = await query(`select id from accounts where username = 'claire.martin'`);
    const [demo] = await query(`select id from accounts where username = 'demo'`);
    const events = await query(`select action, result, actor, account_id, reason, details from audit_events where action like 'admin.factor.%' order by id`);
    // The two enrolments ran side by side: their events may come in either order.
    expect(events).toEqual(
      expect.arrayContaining([
        { action: 'admin.factor.seed', result: 'success', actor: 'cli', account_id: demo.id, reason: null, details: { kind: 'totp', credentialId: seededTotpId } },
        { action: 'admin.factor.import', result: 'success', actor: 'cli', account_id: claire.id, reason: null, details: { kind: 'hotp', serial: 'TOK-0001' } },
        { action: 'admin.factor.enrol', result: 'success', actor: 'cli', account_id: demo.id, reason: null, details: { kind: 'totp', credentialId: enrolledTotpId, revoked: [seededTotpId] } },
        { action: 'admin.factor.enrol', result: 'failure', actor: 'cli', account_id: claire.id, reason: 'wrong_code', details: { kind: 'totp' } },
        { action: 'admin.factor.revoke', result: 'success', actor: 'cli', account_id: claire.id, reason: null, details: { kind: 'hotp', credentialId: hotpId, serial: 'TOK-0001' } },
      ]),
    );
    // …and the seed of claire.martin's demo app, removed before these tests.
    expect(events).toHaveLength(6);
    const audit = JSON.stringify(await query(`select * from audit_events`));
    for (const secret of [DEMO_TOTP_SECRET, HOTP_SECRET.toString('hex'), encodeBase32(HOTP_SECRET), ...enrolSecrets]) expect(audit).not.toContain(secret);
    expect(enrolSecrets).toHaveLength(2);
    // Each enrolment secret was printed once, by its own enrol-totp run (twice in text: alone and in the URI).
    for (const secret of enrolSecrets) expect(transcript.filter((t) => t.includes(secret))).toHaveLength(1);
  });
});

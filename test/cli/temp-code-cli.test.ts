import { describe, test, expect, beforeAll, afterAll } from '@jest/globals';
import argon2 from 'argon2';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { runGuichet, jsonOf } from '../helpers/cli.js';
import { createTestDatabase } from '../helpers/services.js';
import { startSmtpServer } from '../helpers/smtp.js';
import { checkPin, DEFAULT_PIN_POLICY } from '../../src/policy/secret-policy.js';

/** `guichet account temp-code`: an operator issues a temporary code from the command line. */
let database: { url: string; drop(): Promise<void> };
let sql: pg.Client;
let scratch: string;
let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
const guichet = (args: string[]) => runGuichet(args, { env: { DATABASE_URL: database.url, SMTP_URL: smtp.url } });
const query = async <T = any>(text: string, values: unknown[] = []): Promise<T[]> => (await sql.query(text, values)).rows as T[];
const idOf = async (userNumber: string) => (await query(`select id from accounts where user_number = $1`, [userNumber]))[0].id as string;

beforeAll(async () => {
  database = await createTestDatabase();
  sql = new pg.Client({ connectionString: database.url });
  await sql.connect();
  smtp = await startSmtpServer();
  scratch = await mkdtemp(join(tmpdir(), 'guichet-temp-code-'));
  const fixture = join(scratch, 'fixture.json');
  await writeFile(
    fixture,
    JSON.stringify({
      subscriptions: [{ identifier: 'TC-001', name: 'Temp codes' }],
      accounts: [
        { subscription: 'TC-001', userNumber: '01', familyName: 'Pin', locale: 'fr', email: 'pin.user@tc.example', pin: '824613' },
        { subscription: 'TC-001', userNumber: '02', username: 'pwd.user', familyName: 'Password', locale: 'en', email: 'pwd.user@tc.example', password: 'Temp-Code-Pwd-2026' },
        { subscription: 'TC-001', userNumber: '03', status: 'suspended', familyName: 'Suspended', password: 'Temp-Code-Susp-2026' },
      ],
      clients: [],
    }),
  );
  expect((await guichet(['seed', fixture])).code).toBe(0);
});

afterAll(async () => {
  await sql?.end();
  await smtp?.stop();
  await database?.drop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe('guichet account temp-code', () => {
  test('ASVS-11 prints a random code once, stores only its argon2id hash, expiring, and a second issue replaces the first', async () => {
    const before = Date.now();
    const first = await guichet(['account', 'temp-code', 'TC-001/01']);
    expect(first.code).toBe(0);
    const code = /: (\d+)\n/.exec(first.stdout)?.[1];
    // The account logs in with a PIN: the code is one, and passes the PIN policy (not 123456, not the user number).
    expect(code).toMatch(/^\d{6}$/);
    expect(checkPin(code!, DEFAULT_PIN_POLICY, { identifiers: ['01', 'TC-001'] })).toEqual({ ok: true });
    expect(first.stdout.split(code!).length - 1).toBe(1);
    expect(first.stdout).toMatch(/expires \d{4}-\d\d-\d\dT/);

    const [stored] = await query(`select * from temporary_secrets where account_id = $1`, [await idOf('01')]);
    expect(stored).toMatchObject({ kind: 'pin', purpose: 'admin', issued_by: 'cli' });
    expect(stored.secret_hash).toMatch(/^\$argon2id\$/);
    expect(JSON.stringify(stored)).not.toContain(code);
    expect(await argon2.verify(stored.secret_hash, code!)).toBe(true);
    // Shown to an administrator: temporaryCodes.shownTtlMinutes (10 minutes).
    const ttl = new Date(stored.expires_at).getTime() - before;
    expect(ttl).toBeGreaterThan(9 * 60_000);
    expect(ttl).toBeLessThanOrEqual(10 * 60_000 + 30_000);

    const second = jsonOf(await guichet(['account', 'temp-code', 'TC-001/01', '--json']));
    expect(second).toMatchObject({ kind: 'pin', delivery: 'show', code: expect.stringMatching(/^\d{6}$/) });
    const rows = await query(`select * from temporary_secrets where account_id = $1`, [await idOf('01')]);
    expect(rows).toHaveLength(1);
    expect(rows[0].id).not.toBe(stored.id);
    expect(await argon2.verify(rows[0].secret_hash, second.code)).toBe(true);
    // The first code is cancelled: only the newest one's hash is kept.
    if (second.code !== code) expect(await argon2.verify(rows[0].secret_hash, code!)).toBe(false);
  });

  test('ASVS-11 a password account gets a random temporary password; --kind chooses the kind', async () => {
    const issued = jsonOf(await guichet(['account', 'temp-code', 'pwd.user', '--json']));
    expect(issued).toMatchObject({ kind: 'password', delivery: 'show' });
    expect(issued.code).toMatch(/^[a-km-zA-HJ-NP-Z2-9]{14}$/);
    const pin = jsonOf(await guichet(['account', 'temp-code', 'pwd.user', '--kind', 'pin', '--json']));
    expect(pin).toMatchObject({ kind: 'pin', code: expect.stringMatching(/^\d{6}$/) });
  });

  test('ASVS-15 --deliver mail sends the code to the user in their language and prints no code; it lives postedTtlDays', async () => {
    const before = Date.now();
    smtp.mails.length = 0;
    const run = await guichet(['account', 'temp-code', 'pwd.user', '--deliver', 'mail', '--json']);
    const out = jsonOf(run);
    expect(out).toMatchObject({ code: null, kind: 'password', delivery: 'mail' });
    const [mail] = await smtp.waitFor(1);
    expect(mail!.to).toBe('pwd.user@tc.example');
    expect(mail!.subject).toBe('Your temporary Guichet password');
    const code = /\n\n([a-km-zA-HJ-NP-Z2-9]{14})\n\n/.exec(mail!.text)?.[1];
    expect(code).toBeDefined();
    expect(mail!.html).toContain(`<p>${code}</p>`);
    expect(mail!.text).toContain('choose your own code');
    expect(run.stdout).not.toContain(code);
    const [stored] = await query(`select * from temporary_secrets where account_id = $1`, [await idOf('02')]);
    expect(await argon2.verify(stored.secret_hash, code!)).toBe(true);
    const days = (new Date(stored.expires_at).getTime() - before) / 86_400_000;
    expect(days).toBeGreaterThan(6.99);
    expect(days).toBeLessThan(7.01);
  });

  test('a suspended account gets no code, an unknown one is not found, bad options are usage errors', async () => {
    const [suspended, unknown, badKind, badDelivery] = await Promise.all([
      guichet(['account', 'temp-code', 'TC-001/03']),
      guichet(['account', 'temp-code', 'TC-001/99']),
      guichet(['account', 'temp-code', 'TC-001/01', '--kind', 'totp']),
      guichet(['account', 'temp-code', 'TC-001/01', '--deliver', 'sms']),
    ]);
    expect(suspended.code).toBe(1);
    expect(suspended.stderr).toContain('suspended');
    expect(await query(`select * from temporary_secrets where account_id = $1`, [await idOf('03')])).toHaveLength(0);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no such account');
    expect(badKind.code).toBe(2);
    expect(badKind.stderr).toContain('--kind must be one of password, pin');
    expect(badDelivery.code).toBe(2);
    expect(badDelivery.stderr).toContain('--deliver must be one of show, mail');
  });

  test('PSD2-37 the audit records the operator, the target and the environment, never the code', async () => {
    const issued = jsonOf(await guichet(['account', 'temp-code', 'TC-001/01', '--json']));
    const events = await query(`select * from audit_events where action = 'admin.temporary_code.issued' order by id`);
    const last = events.at(-1);
    expect(last).toMatchObject({ result: 'success', actor: 'cli', account_id: await idOf('01') });
    expect(last.details).toMatchObject({ environment: 'cli', delivery: 'show', kind: 'pin' });
    expect(events.some((e) => e.result === 'failure' && e.reason === 'account_suspended')).toBe(true);
    const everything = JSON.stringify(await query(`select * from audit_events`));
    expect(everything).not.toContain(issued.code);
  });

  test('help lists the command', async () => {
    const help = await guichet(['account', '--help']);
    expect(help.stdout + help.stderr).toContain('guichet account temp-code');
  });
});

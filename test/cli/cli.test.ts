import { describe, test, expect, beforeAll, afterAll } from '@jest/globals';
import { runGuichet, jsonOf, type Run } from '../helpers/cli.js';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { createTestDatabase } from '../helpers/services.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));


let database: { url: string; drop(): Promise<void> };
let sql: pg.Client;
let scratch: string;
/** Every byte the CLI printed in this file, to prove the stdin password never shows. */
const transcript: string[] = [];

/** Runs `guichet` as a child process (test/helpers/cli.ts). */
const guichet = (args: string[], stdin = '') => runGuichet(args, { env: { DATABASE_URL: database.url }, stdin, transcript });


const query = async <T = any>(text: string, values: unknown[] = []): Promise<T[]> => (await sql.query(text, values)).rows as T[];

beforeAll(async () => {
  database = await createTestDatabase();
  sql = new pg.Client({ connectionString: database.url });
  await sql.connect();
  scratch = await mkdtemp(join(tmpdir(), 'guichet-cli-'));
});

afterAll(async () => {
  await sql?.end();
  await database?.drop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe('guichet command', () => {
  test('migrate applies the schema, then reports it up to date', async () => {
    const migrations = (await readdir(join(ROOT, 'migrations'))).filter((f) => /^\d{4}_\w+\.ts$/.test(f)).map((f) => f.slice(0, -3)).sort();
    expect(migrations.slice(0, 2)).toEqual(['0001_foundation', '0002_credential_blocks']);
    expect(jsonOf(await guichet(['migrate', '--json']))).toEqual({ applied: migrations });
    const again = await guichet(['migrate']);
    expect(again.code).toBe(0);
    expect(again.stdout.trim()).toBe('database is up to date');
  });

  test('help prints the usage; bad usage exits 2 with the usage on stderr', async () => {
    const [help, none, unknown, missing, passwordArgument, badUri, noSub, badKind, badFactor, pinNotFromStdin, twoSecrets] = await Promise.all([
      guichet(['--help']),
      guichet([]),
      guichet(['frobnicate']),
      guichet(['client', 'add', '--id', 'x']),
      guichet(['account', 'add', '--username', 'eve', '--password', 'in-the-shell-history']),
      guichet(['client', 'add', '--id', 'x', '--redirect-uri', 'https://rp.example/cb#frag']),
      guichet(['account', 'add', '--subscription', 'ACME-001']),
      guichet(['account', 'unblock', 'someone', '--kind', 'totp']),
      guichet(['client', 'add', '--id', 'x', '--redirect-uri', 'https://rp.example/cb', '--first-factor', 'sms']),
      guichet(['account', 'set-pin', 'someone']),
      guichet(['account', 'add', '--username', 'eve', '--password-stdin', '--pin-stdin']),
    ]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('guichet account set-password');
    expect(help.stdout).toContain('guichet account unblock');
    for (const run of [none, unknown, missing, passwordArgument, badUri, noSub, badKind, badFactor, pinNotFromStdin, twoSecrets]) {
      expect(run.code).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toContain('Usage');
    }
    expect(unknown.stderr).toContain('unknown command "frobnicate"');
    expect(missing.stderr).toContain('--redirect-uri is required');
    expect(passwordArgument.stderr).toContain("Unknown option '--password'");
    expect(badUri.stderr).toContain('must not have a fragment');
    expect(noSub.stderr).toContain('--subscription and --user-number go together');
    expect(badKind.stderr).toContain('--kind must be one of password, pin');
    expect(badFactor.stderr).toContain('--first-factor must be one of password, pin');
    expect(pinNotFromStdin.stderr).toContain('--pin-stdin is required');
    expect(twoSecrets.stderr).toContain('both read stdin');
  });

  test('seed loads fixtures/example.json, and a second seed creates nothing more', async () => {
    expect(jsonOf(await guichet(['seed', 'fixtures/example.json', '--json']))).toEqual({ file: 'fixtures/example.json', subscriptions: 2, accounts: 5, clients: 1 });
    expect(jsonOf(await guichet(['seed', 'fixtures/example.json', '--json']))).toMatchObject({ subscriptions: 0, accounts: 0 });
    const [counts] = await query(`select (select count(*)::int from subscriptions) as s, (select count(*)::int from accounts) as a, (select count(*)::int from oidc_clients) as c`);
    expect(counts).toEqual({ s: 2, a: 5, c: 1 });

    const [bySubscription, byUsername, withPin] = await Promise.all([
      guichet(['account', 'show', 'ACME-001/01', '--json']),
      guichet(['account', 'show', 'paul.leroy', '--json']),
      guichet(['account', 'show', 'BOREAL-042/12']),
    ]);
    expect(jsonOf(bySubscription).account).toMatchObject({
      subscription: 'ACME-001',
      userNumber: '01',
      familyName: 'Dupont',
      credentials: [{ kind: 'password', mustChange: false, failedCount: 0, blocked: false, blockedAt: null, blockedUntil: null, blockCount: 0 }],
    });
    expect(jsonOf(byUsername).account).toMatchObject({ username: 'paul.leroy', userNumber: '02', credentials: [{ kind: 'password', mustChange: true }] });
    expect(withPin.stdout).toMatch(/^PIN\s+set \S+; must change: no; failed attempts: 0; blocked: no; blocks: 0$/m);
    expect(withPin.stdout).not.toMatch(/^password/m);
  });

  test('docs/SEED.md shows fixtures/example.json as it is', async () => {
    const doc = await readFile(join(ROOT, 'docs/SEED.md'), 'utf8');
    const example = /```json\n([\s\S]*?)```/.exec(doc)?.[1];
    expect(JSON.parse(example!)).toEqual(JSON.parse(await readFile(join(ROOT, 'fixtures/example.json'), 'utf8')));
  });

  test('an invalid fixture lists every problem with its path and changes nothing', async () => {
    const file = join(scratch, 'bad.json');
    await writeFile(file, JSON.stringify({ subscriptions: [{ identifier: 'X' }], accounts: [{ email: 'not-an-address' }], clients: [{ client_id: 'c', redirect_uris: [] }] }));
    const [run, notJson] = await Promise.all([guichet(['seed', file]), guichet(['seed', join(scratch, 'absent.json')])]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('invalid fixture');
    for (const path of ['subscriptions[0].name', 'accounts[0].email', 'accounts[0]: an account needs a username', 'clients[0].redirect_uris']) expect(run.stderr).toContain(path);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(notJson.code).toBe(1);
    expect(notJson.stderr).toContain('no such file');
    expect((await query(`select count(*)::int as n from subscriptions where identifier = 'X'`))[0].n).toBe(0);
  });

  test('client add prints a confidential secret once; list never shows it; remove is audited', async () => {
    const [confidential, publicClient, withLogin] = await Promise.all([
      guichet(['client', 'add', '--id', 'back-office', '--name', 'Back office', '--redirect-uri', 'https://bo.example/cb', '--redirect-uri', 'https://bo.example/cb2', '--post-logout-uri', 'https://bo.example/', '--grant', 'refresh_token', '--first-party', '--json']),
      guichet(['client', 'add', '--id', 'mobile', '--redirect-uri', 'com.example.app:/callback', '--public', '--json']),
      guichet(['client', 'add', '--id', 'agency', '--redirect-uri', 'https://agency.example/cb', '--identifier-scheme', 'subscription', '--identifier-scheme', 'username', '--first-factor', 'pin']),
    ]);
    expect(withLogin.code).toBe(0);
    expect(withLogin.stdout).toContain('login: subscription, username, then pin');
    const added = jsonOf(confidential);
    expect(added.clientSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(added.client).toMatchObject({ clientId: 'back-office', public: false, firstParty: true, metadata: { grant_types: ['authorization_code', 'refresh_token'], redirect_uris: ['https://bo.example/cb', 'https://bo.example/cb2'] } });
    expect(JSON.stringify(added.client)).not.toContain(added.clientSecret);
    expect(jsonOf(publicClient)).toMatchObject({ clientSecret: null, client: { public: true, metadata: { token_endpoint_auth_method: 'none', grant_types: ['authorization_code'] } } });
    const [stored] = await query(`select metadata from oidc_clients where client_id = 'back-office'`);
    expect(stored.metadata.client_secret).toBe(added.clientSecret);

    const [list, textList, again] = await Promise.all([
      guichet(['client', 'list', '--json']),
      guichet(['client', 'list']),
      guichet(['client', 'add', '--id', 'mobile', '--redirect-uri', 'https://x.example/cb']),
    ]);
    const clients = jsonOf(list).clients;
    expect(clients.map((c: { clientId: string }) => c.clientId)).toEqual(['agency', 'back-office', 'mobile', 'portal']);
    expect(clients[0]).toMatchObject({ identifierSchemes: ['subscription', 'username'], firstFactor: 'pin', metadata: { guichet_identifier_schemes: ['subscription', 'username'], guichet_first_factor: 'pin' } });
    expect(clients[1]).toMatchObject({ identifierSchemes: null, firstFactor: null });
    expect(clients[1].metadata).not.toHaveProperty('guichet_first_factor');
    expect(textList.stdout).toMatch(/^agency\s+confidential\s+no\s+subscription,username\s+pin\s/m);
    expect(textList.stdout).toMatch(/^portal\s+confidential\s+yes\s+\(default\)\s+\(default\)\s/m);
    for (const run of [list, textList]) {
      expect(run.stdout).not.toContain(added.clientSecret);
      expect(run.stdout).not.toContain('example-portal-secret');
      expect(run.stdout).not.toContain('client_secret"');
    }
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('client mobile exists');

    const [removed, unknown] = await Promise.all([guichet(['client', 'remove', 'mobile', '--json']), guichet(['client', 'remove', 'nope'])]);
    expect(jsonOf(removed)).toEqual({ removed: 'mobile' });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr.trim().split('\n').at(-1)).toBe('guichet: no such client nope');
    const events = await query(`select action, actor, client_id from audit_events where action like 'admin.client.%' and client_id <> 'portal' order by id`);
    expect(events).toEqual(
      expect.arrayContaining([
        { action: 'admin.client.add', actor: 'cli', client_id: 'back-office' },
        { action: 'admin.client.add', actor: 'cli', client_id: 'mobile' },
        { action: 'admin.client.add', actor: 'cli', client_id: 'agency' },
        { action: 'admin.client.remove', actor: 'cli', client_id: 'mobile' },
      ]),
    );
    expect(events).toHaveLength(4);
  });

  test('ASVS-42 administrative changes are audited without secrets', async () => {
    const password = `Stdin-Only-${randomBytes(8).toString('hex')}`;
    const replacement = `Replaced-${randomBytes(8).toString('hex')}`;
    const added = jsonOf(
      await guichet(
        ['account', 'add', '--subscription', 'BOREAL-042', '--user-number', '8', '--username', 'anne.petit', '--email', 'anne.petit@boreal.example', '--family-name', 'Petit', '--given-name', 'Anne', '--locale', 'en', '--role', 'consultation', '--role', 'export', '--profile', 'consultation', '--password-stdin', '--must-change', '--json'],
        `${password}\n`,
      ),
    ).account;
    expect(added).toMatchObject({ username: 'anne.petit', subscription: 'BOREAL-042', userNumber: '8', status: 'active', roles: ['consultation', 'export'], locale: 'en', credentials: [{ kind: 'password', mustChange: true, failedCount: 0, blocked: false }] });

    const [shown, shownText] = await Promise.all([guichet(['account', 'show', 'anne.petit', '--json']), guichet(['account', 'show', 'BOREAL-042/8'])]);
    expect(jsonOf(shown).account.id).toBe(added.id);
    expect(shownText.stdout).toContain('must change: yes');
    const [credential] = await query(`select secret_hash from credentials where account_id = $1`, [added.id]);
    expect(credential.secret_hash).toMatch(/^\$argon2id\$/);
    for (const run of [shown, shownText]) {
      expect(run.stdout).not.toContain(credential.secret_hash);
      expect(run.stdout).not.toContain('argon2');
      expect(run.stdout).not.toMatch(/hash/i);
    }

    const reset = jsonOf(await guichet(['account', 'set-password', 'BOREAL-042/8', '--password-stdin', '--json'], replacement));
    expect(reset.account.credentials).toMatchObject([{ kind: 'password', mustChange: false }]);
    const [after] = await query(`select secret_hash from credentials where account_id = $1`, [added.id]);
    expect(after.secret_hash).not.toBe(credential.secret_hash);

    expect(jsonOf(await guichet(['account', 'suspend', 'anne.petit', '--json'])).account.status).toBe('suspended');
    expect((await query(`select status from accounts where id = $1`, [added.id]))[0].status).toBe('suspended');
    expect(jsonOf(await guichet(['account', 'unsuspend', 'anne.petit', '--json'])).account.status).toBe('active');
    expect((await query(`select status from accounts where id = $1`, [added.id]))[0].status).toBe('active');

    const events = await query(`select action, actor, details from audit_events where account_id = $1 order by id`, [added.id]);
    expect(events).toEqual([
      { action: 'admin.account.add', actor: 'cli', details: {} },
      { action: 'admin.password.set', actor: 'cli', details: { mustChange: true } },
      { action: 'admin.password.set', actor: 'cli', details: { mustChange: false } },
      { action: 'admin.account.suspend', actor: 'cli', details: { status: 'suspended' } },
      { action: 'admin.account.status', actor: 'cli', details: { status: 'active' } },
    ]);

    const audit = JSON.stringify(await query(`select * from audit_events`));
    for (const secret of [password, replacement]) {
      expect(transcript.join('\n')).not.toContain(secret);
      expect(audit).not.toContain(secret);
    }
  });

  test('PSD2-08 an administrator unblocks a blocked credential', async () => {
    // Claire's password is blocked for good and her account blocked; Louis's PIN is blocked for an
    // hour; the password of ACME-001/01 is blocked for good after three temporary blocks (only shown).
    const [claire] = await query(`select id from accounts where username = 'claire.martin'`);
    const [louis, jeanne] = await query(
      `select a.id from accounts a join subscriptions s on s.id = a.subscription_id where (s.identifier, a.user_number) in (('BOREAL-042', '12'), ('ACME-001', '01')) order by s.identifier desc`,
    );
    await query(`update credentials set blocked_at = now(), failed_count = 5 where account_id = $1 and kind = 'password'`, [claire.id]);
    await query(`update accounts set status = 'blocked' where id = $1`, [claire.id]);
    await query(`update credentials set blocked_until = now() + interval '1 hour', block_count = 1, failed_count = 0 where account_id = $1 and kind = 'pin'`, [louis.id]);
    await query(`update credentials set blocked_at = now(), block_count = 3, failed_count = 0 where account_id = $1 and kind = 'password'`, [jeanne.id]);

    const [unblocked, pinText, noPin, shown] = await Promise.all([
      guichet(['account', 'unblock', 'claire.martin', '--json']),
      guichet(['account', 'unblock', 'BOREAL-042/12', '--kind', 'pin']),
      guichet(['account', 'unblock', 'ACME-001/01', '--kind', 'pin']),
      guichet(['account', 'show', 'ACME-001/01']),
    ]);
    const result = jsonOf(unblocked);
    expect(result).toMatchObject({ changed: true, reactivated: true, unblocked: [{ kind: 'password', before: { blocked: true, blockedAt: expect.any(String), blockedUntil: null, failedCount: 5 } }] });
    expect(result.account).toMatchObject({ status: 'active', credentials: [{ kind: 'password', blocked: false, blockedAt: null, failedCount: 0, blockCount: 0 }] });
    expect(pinText.code).toBe(0);
    expect(pinText.stdout).toMatch(/^PIN of BOREAL-042\/12 unblocked \(was blocked: temporarily until \S+; failed attempts: 0; blocks: 1\)$/m);
    expect(noPin.code).toBe(1);
    expect(noPin.stderr).toContain('account ACME-001/01 has no PIN');
    expect(shown.stdout).toMatch(/^password\s+set \S+; must change: no; failed attempts: 0; blocked: permanently since \S+; blocks: 3$/m);

    const rows = await query(`select kind, blocked_at, blocked_until, failed_count, block_count from credentials where account_id in ($1, $2) order by kind`, [claire.id, louis.id]);
    expect(rows).toEqual([
      { kind: 'password', blocked_at: null, blocked_until: null, failed_count: 0, block_count: 0 },
      { kind: 'pin', blocked_at: null, blocked_until: null, failed_count: 0, block_count: 0 },
    ]);
    expect((await query(`select status from accounts where id = $1`, [claire.id]))[0].status).toBe('active');
    const events = await query(`select account_id, action, actor, details from audit_events where action in ('admin.credential.unblock', 'admin.account.status') and account_id in ($1, $2) order by id`, [claire.id, louis.id]);
    expect(events).toEqual(
      expect.arrayContaining([
        { account_id: claire.id, action: 'admin.credential.unblock', actor: 'cli', details: { kind: 'password' } },
        { account_id: claire.id, action: 'admin.account.status', actor: 'cli', details: { status: 'active' } },
        { account_id: louis.id, action: 'admin.credential.unblock', actor: 'cli', details: { kind: 'pin' } },
      ]),
    );
    expect(events).toHaveLength(3);
  });

  test('set-pin and --pin-stdin refuse a trivial code with its reasons and accept a good one', async () => {
    // Refusals write nothing, so they run alongside the accepted codes.
    const [trivial, tooShortTemporary, addTrivial, addGood, good, temporary] = await Promise.all([
      guichet(['account', 'set-pin', 'paul.leroy', '--pin-stdin', '--json'], '123456\n'),
      guichet(['account', 'set-pin', 'ACME-001/01', '--pin-stdin', '--must-change'], '12345\n'),
      guichet(['account', 'add', '--username', 'tom.roux', '--pin-stdin'], '123456\n'),
      guichet(['account', 'add', '--username', 'lea.roux', '--pin-stdin', '--json'], '246813\n'),
      guichet(['account', 'set-pin', 'paul.leroy', '--pin-stdin', '--json'], '739201\n'),
      guichet(['account', 'set-pin', 'ACME-001/01', '--pin-stdin', '--must-change'], '111111\n'),
    ]);
    expect(trivial.code).toBe(1);
    expect(trivial.stderr).toContain('the confidential code is refused by the PIN policy (1 reason)');
    expect(trivial.stderr).toContain('  - This code is a run of digits.');
    expect(JSON.parse(trivial.stdout)).toEqual({ error: { code: 'bad_request', message: expect.stringContaining('refused'), problems: ['This code is a run of digits.'] } });
    // A temporary code may be weak ('111111' passes), but not of the wrong length.
    expect(tooShortTemporary.code).toBe(1);
    expect(tooShortTemporary.stderr).toContain('  - The confidential code must be exactly 6 digits long.');
    expect(tooShortTemporary.stderr).not.toContain('run of digits');
    expect(temporary.code).toBe(0);
    expect(temporary.stdout.trim()).toBe('confidential code of ACME-001/01 set (to be changed at next login)');
    expect(addTrivial.code).toBe(1);
    expect(addTrivial.stderr).toContain('This code is a run of digits.');
    expect(await query(`select id from accounts where username = 'tom.roux'`)).toHaveLength(0);
    expect(jsonOf(addGood).account.credentials).toMatchObject([{ kind: 'pin', mustChange: false }]);
    expect(jsonOf(good).account.credentials).toMatchObject([{ kind: 'password' }, { kind: 'pin', mustChange: false, failedCount: 0 }]);

    const events = await query(`select a.username, e.details from audit_events e join accounts a on a.id = e.account_id where e.action = 'admin.pin.set' and a.username in ('paul.leroy', 'lea.roux') order by e.id`);
    expect(events).toEqual(expect.arrayContaining([{ username: 'paul.leroy', details: { mustChange: false } }, { username: 'lea.roux', details: { mustChange: false } }]));
    const audit = JSON.stringify(await query(`select * from audit_events`));
    for (const pin of ['739201', '246813']) {
      expect(audit).not.toContain(pin);
      expect(transcript.join('\n')).not.toContain(pin);
    }
  });

  test('N3-07 set-password refuses a common password, listing every reason, and accepts a long passphrase', async () => {
    const passwordOf = async (username: string) =>
      (await query(`select c.secret_hash from credentials c join accounts a on a.id = c.account_id where a.username = $1 and c.kind = 'password'`, [username]))[0].secret_hash as string;
    const before = await passwordOf('paul.leroy');
    // Refusals write nothing, so they run alongside the accepted passwords.
    const [common, personal, passphrase, temporaryCommon] = await Promise.all([
      guichet(['account', 'set-password', 'paul.leroy', '--password-stdin'], 'Password1\n'),
      guichet(['account', 'set-password', 'paul.leroy', '--password-stdin'], 'Paul.Leroy-Guichet\n'),
      guichet(['account', 'set-password', 'paul.leroy', '--password-stdin', '--json'], 'mauve kettle under a quiet bridge\n'),
      guichet(['account', 'set-password', 'ACME-001/01', '--password-stdin', '--must-change', '--json'], 'Password1\n'),
    ]);
    expect(common.code).toBe(1);
    expect(common.stderr).toContain('the password is refused by the password policy (1 reason)');
    expect(common.stderr).toContain('  - This password is too common or has already been leaked.');
    expect(personal.code).toBe(1);
    expect(personal.stderr).toContain('(2 reasons)');
    expect(personal.stderr).toContain('  - The password must not contain your identifier.');
    expect(personal.stderr).toContain('  - The password must not contain the name of the service or bank.');
    expect(jsonOf(passphrase).account.credentials.find((c: { kind: string }) => c.kind === 'password')).toMatchObject({ mustChange: false });
    expect(await passwordOf('paul.leroy')).not.toBe(before);
    // A temporary password, replaced at the next login, only has to be long enough (as a temporary code, above).
    expect(jsonOf(temporaryCommon).account.credentials.find((c: { kind: string }) => c.kind === 'password')).toMatchObject({ mustChange: true, blocked: false });
  });

  test('an unknown account exits 1 with "no such account", without a stack trace', async () => {
    const runs = await Promise.all([
      guichet(['account', 'show', 'nobody']),
      guichet(['account', 'suspend', 'ACME-001/99']),
      guichet(['account', 'set-password', 'nobody', '--password-stdin'], 'Whatever-2026\n'),
      guichet(['account', 'show', 'nobody', '--json']),
    ]);
    for (const run of runs) {
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('no such account');
      expect(run.stderr).not.toMatch(/\n\s+at /);
    }
    expect(runs[0]!.stdout).toBe('');
    expect(JSON.parse(runs[3]!.stdout)).toEqual({ error: { code: 'not_found', message: 'no such account nobody' } });
  });
});

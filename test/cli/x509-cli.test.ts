import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { runGuichet, jsonOf } from '../helpers/cli.js';
import { demoFixture } from '../../src/admin/demo-fixture.js';
import { createTestDatabase } from '../helpers/services.js';
import { createCa, createCrl, createLeaf, DAY, type Issued } from '../x509/test-pki.js';

/** `guichet factor enrol-cert`: an administrator binds a client certificate, validated first (ASVS-41). */
describe('ASVS-41 guichet factor enrol-cert', () => {
  let database: { url: string; drop(): Promise<void> };
  let sql: pg.Client;
  let scratch: string;
  let env: NodeJS.ProcessEnv;
  let valid: Issued;
  let second: Issued;
  let expired: Issued;
  let revoked: Issued;
  const files: Record<string, string> = {};
  const now = new Date();

  const guichet = (args: string[]) => runGuichet(args, { env });
  const query = async <T = any>(text: string, values: unknown[] = []): Promise<T[]> => (await sql.query(text, values)).rows as T[];

  beforeAll(async () => {
    database = await createTestDatabase();
    sql = new pg.Client({ connectionString: database.url });
    await sql.connect();
    scratch = await mkdtemp(join(tmpdir(), 'guichet-x509-cli-'));
    const ca = await createCa('Banque Test CA', now);
    const other = await createCa('Autre CA', now);
    valid = await createLeaf(now, { issuer: ca, cn: 'Claire Martin', email: 'claire@example.com' });
    second = await createLeaf(now, { issuer: ca, cn: 'Second Token' });
    expired = await createLeaf(now, { issuer: ca, cn: 'Old Token', notBefore: new Date(now.getTime() - 30 * DAY), notAfter: new Date(now.getTime() - DAY) });
    revoked = await createLeaf(now, { issuer: ca, cn: 'Lost Token' });
    const foreign = await createLeaf(now, { issuer: other, cn: 'Foreign' });
    const crl = await createCrl(ca, { revoked: [revoked], thisUpdate: new Date(now.getTime() - DAY), nextUpdate: new Date(now.getTime() + 7 * DAY) });
    const write = async (name: string, content: string | Buffer) => {
      files[name] = join(scratch, name);
      await writeFile(files[name], content);
    };
    await write('ca.pem', ca.pem);
    await write('ca.crl', crl.der);
    await write('valid.pem', valid.pem);
    await write('second.der', second.der);
    await write('expired.pem', expired.pem);
    await write('revoked.pem', revoked.pem);
    await write('foreign.pem', foreign.pem);
    await write('junk.pem', 'not a certificate');
    await write('demo.json', JSON.stringify(demoFixture('http://localhost:3000')));
    env = { DATABASE_URL: database.url, GUICHET_X509_CA_FILES: files['ca.pem'], GUICHET_X509_CRL_FILES: files['ca.crl'] };
    expect(jsonOf(await guichet(['seed', files['demo.json']!, '--json']))).toMatchObject({ accounts: 3 });
  });

  afterAll(async () => {
    await sql?.end();
    await database?.drop();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  test('enrol-cert validates, binds and prints the thumbprint, subject, issuer and expiry; list shows it; revoke removes it', async () => {
    const enrolled = await guichet(['factor', 'enrol-cert', 'claire.martin', '--cert', files['valid.pem']!, '--label', 'clé USB', '--json']);
    const result = jsonOf(enrolled);
    expect(result).toMatchObject({
      changed: true,
      credential: { kind: 'x509', label: 'clé USB', lastUsedAt: null, blocked: false },
      certificate: { thumbprint: createHash('sha256').update(valid.der).digest('hex'), subject: valid.certificate.subject, issuer: 'CN=Banque Test CA, O=Banque Test', serial: valid.certificate.serialNumber.toUpperCase(), notAfter: valid.certificate.notAfter.toISOString() },
    });

    const text = await guichet(['factor', 'enrol-cert', 'claire.martin', '--cert', files['second.der']!]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^X\.509 certificate enrolled for claire\.martin \(\S+\)$/m);
    expect(text.stdout).toMatch(/^thumbprint \(SHA-256\)\s+[0-9a-f]{64}$/m);
    expect(text.stdout).toMatch(/^subject\s+CN=Second Token, O=Entreprise Cliente$/m);
    expect(text.stdout).toMatch(/^issuer\s+CN=Banque Test CA, O=Banque Test$/m);
    expect(text.stdout).toContain(second.certificate.notAfter.toISOString());

    const list = await guichet(['factor', 'list', 'claire.martin']);
    expect(list.stdout).toMatch(new RegExp(`^${result.credential.id}\\s+x509\\s+clé USB\\s`, 'm'));
    expect(list.stdout).toMatch(/^\S+\s+x509\s+Second Token\s/m);
    const [stored] = await query(`select lookup from credentials where id = $1`, [result.credential.id]);
    expect(stored.lookup).toBe(result.certificate.thumbprint);

    const revoke = await guichet(['factor', 'revoke', 'claire.martin', result.credential.id]);
    expect(revoke.stdout).toContain(`X.509 credential ${result.credential.id} of claire.martin revoked`);
    expect((await guichet(['factor', 'list', 'claire.martin'])).stdout).not.toContain(result.credential.id);
    expect(await query(`select action, result, reason, details->>'kind' as kind from audit_events where action like 'admin.factor.%' and details->>'kind' = 'x509' and result = 'success' order by id`)).toEqual([
      { action: 'admin.factor.enrol', result: 'success', reason: null, kind: 'x509' },
      { action: 'admin.factor.enrol', result: 'success', reason: null, kind: 'x509' },
      { action: 'admin.factor.revoke', result: 'success', reason: null, kind: 'x509' },
    ]);
  });

  test('an expired, revoked, foreign, unreadable or already enrolled certificate is refused with its reason and nothing is stored', async () => {
    const before = await query(`select count(*)::int as n from credentials where kind = 'x509'`);
    const [expiredRun, revokedRun, foreignRun, junkRun, twice, missing, usage] = await Promise.all([
      guichet(['factor', 'enrol-cert', 'demo', '--cert', files['expired.pem']!]),
      guichet(['factor', 'enrol-cert', 'demo', '--cert', files['revoked.pem']!]),
      guichet(['factor', 'enrol-cert', 'demo', '--cert', files['foreign.pem']!, '--json']),
      guichet(['factor', 'enrol-cert', 'demo', '--cert', files['junk.pem']!]),
      guichet(['factor', 'enrol-cert', 'demo', '--cert', files['second.der']!]),
      guichet(['factor', 'enrol-cert', 'demo', '--cert', join(scratch, 'absent.pem')]),
      guichet(['factor', 'enrol-cert', 'demo']),
    ]);
    expect(expiredRun).toMatchObject({ code: 1, stdout: '' });
    expect(expiredRun.stderr).toContain('has expired: nothing was stored (expired)');
    expect(revokedRun.stderr).toContain('(revoked)');
    expect(foreignRun.code).toBe(1);
    expect(JSON.parse(foreignRun.stdout)).toMatchObject({ error: { code: 'bad_request', message: expect.stringContaining('(untrusted_issuer)') } });
    expect(junkRun.stderr).toContain('(malformed)');
    expect(twice.stderr).toContain('(already_enrolled)');
    expect(missing.stderr).toContain('cannot read');
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('--cert is required');
    expect(await query(`select count(*)::int as n from credentials where kind = 'x509'`)).toEqual(before);
    expect(await query(`select reason from audit_events where action = 'admin.factor.enrol' and result = 'failure' order by reason`)).toEqual(
      ['already_enrolled', 'expired', 'malformed', 'revoked', 'untrusted_issuer'].map((reason) => ({ reason })),
    );
  });

  test('without a configured CA, enrol-cert says which setting is missing', async () => {
    const run = await runGuichet(['factor', 'enrol-cert', 'demo', '--cert', files['valid.pem']!], { env: { DATABASE_URL: database.url } });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('GUICHET_X509_CA_FILES');
  });
});

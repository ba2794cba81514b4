import { describe, test, expect } from '@jest/globals';
import { runGuichet, jsonOf, useDemoDatabase } from '../helpers/cli.js';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEMO_ISSUER_KEY, DEMO_ISSUER_KEY_ID } from '../../src/authenticators/emv-cap/simulator/demo-card.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));


const demo = useDemoDatabase('cap-cli');
const transcript: string[] = [];

/** Runs `guichet` as a child process (test/helpers/cli.ts). */
const guichet = (args: string[], stdin = '', options: { database?: boolean } = {}) =>
  runGuichet(args, { env: { GUICHET_DATA_DIR: join(demo.scratch, 'no-data-dir'), ...(options.database !== false ? { DATABASE_URL: demo.url } : {}) }, stdin, transcript });


const readCard = async (file: string) => JSON.parse(await readFile(file, 'utf8')) as { card: { atc: number; pinTries: number; pinTryLimit: number; iccKey: string; pan: string }; reader: object };


describe('guichet cap enrol-demo and cap-reader', () => {
  test('a demo card is enrolled, its reader gives fresh codes, a wrong PIN gives none', async () => {
    const cardFile = join(demo.scratch, 'card.json');
    const [enrolled, help, usageOut, usageMode] = await Promise.all([
      guichet(['cap', 'enrol-demo', 'claire.martin', '--out', cardFile, '--pin-stdin', '--json'], '4321\n'),
      guichet(['help', 'cap']),
      guichet(['cap', 'enrol-demo', 'claire.martin']),
      guichet(['cap-reader', '--card', cardFile, '--mode', 'press', '--pin-stdin']),
    ]);
    const result = jsonOf(enrolled);
    expect(result).toMatchObject({ changed: true, kcv: expect.stringMatching(/^[0-9A-F]{6}$/i), issuerKeyId: DEMO_ISSUER_KEY_ID, credential: { kind: 'emv-cap', label: expect.stringMatching(/^•••• \d{4}$/), serial: null } });
    expect(help.stdout).toContain('guichet cap enrol-demo');
    expect(help.stdout).toContain(`GUICHET_CAP_ISSUER_KEYS='{"${DEMO_ISSUER_KEY_ID}":"${DEMO_ISSUER_KEY}"}'`);
    for (const run of [usageOut, usageMode]) {
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('Usage');
    }
    expect(usageOut.stderr).toContain('--out FILE is required');
    expect(usageMode.stderr).toContain('--mode must be one of identify, respond, sign');

    expect((await stat(cardFile)).mode & 0o777).toBe(0o600);
    const initial = await readCard(cardFile);
    expect(initial.card.pan).toMatch(/^49\d{14}$/);
    expect(result.credential.label).toBe(`•••• ${initial.card.pan.slice(-4)}`);
    expect(initial.reader).toEqual(expect.any(Object));

    // The reader needs no database.
    const reader = (pin: string) => guichet(['cap-reader', '--card', cardFile, '--mode', 'identify', '--pin-stdin'], `${pin}\n`, { database: false });
    const first = await reader('4321');
    const second = await reader('4321');
    for (const run of [first, second]) {
      expect(run.code).toBe(0);
      expect(run.stdout.trim()).toMatch(/^\d{6,8}$/);
    }
    expect(first.stdout.trim()).not.toBe(second.stdout.trim());
    const used = await readCard(cardFile);
    expect(used.card.atc).toBe(initial.card.atc + 2);
    expect(used.card.pinTries).toBe(initial.card.pinTryLimit);

    const wrong = await reader('0000');
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toBe('');
    expect(wrong.stderr).toContain('the card refused: wrong_pin');
    const afterWrong = await readCard(cardFile);
    expect(afterWrong.card.pinTries).toBe(initial.card.pinTryLimit - 1);
    expect((await stat(cardFile)).mode & 0o777).toBe(0o600);

    const respond = await guichet(['cap-reader', '--card', cardFile, '--mode', 'respond', '--challenge', '12345678', '--pin-stdin', '--json'], '4321', { database: false });
    expect(jsonOf(respond)).toMatchObject({ code: expect.stringMatching(/^\d+$/), mode: 'respond', pinTries: initial.card.pinTryLimit });

    // factor list shows the card, and nothing of its key, PAN or PIN; nor does the audit.
    const [list, text] = await Promise.all([guichet(['factor', 'list', 'claire.martin', '--json']), guichet(['factor', 'list', 'claire.martin'])]);
    expect(jsonOf(list).factors).toEqual([expect.objectContaining({ id: result.credential.id, kind: 'emv-cap', label: result.credential.label, serial: null, blocked: false })]);
    expect(text.stdout).toMatch(new RegExp(`^${result.credential.id}\\s+emv-cap\\s+`, 'm'));
    const [claire] = (await demo.sql.query(`select id from accounts where username = 'claire.martin'`)).rows;
    const events = (await demo.sql.query(`select action, result, actor, account_id, details from audit_events where action = 'admin.factor.enrol'`)).rows;
    expect(events).toEqual([{ action: 'admin.factor.enrol', result: 'success', actor: 'cli', account_id: claire.id, details: { kind: 'emv-cap', credentialId: result.credential.id } }]);
    const audit = JSON.stringify((await demo.sql.query(`select * from audit_events`)).rows);
    const dbOutput = [enrolled.stdout, list.stdout, text.stdout, audit];
    for (const secret of [initial.card.iccKey, initial.card.pan, DEMO_ISSUER_KEY]) for (const out of dbOutput) expect(out.toUpperCase()).not.toContain(secret.toUpperCase());
  });
});

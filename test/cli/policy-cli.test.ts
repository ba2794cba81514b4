import { describe, expect, test } from '@jest/globals';
import { jsonOf, runGuichet } from '../helpers/cli.js';
import { policyReport } from '../../src/config/policy-report.js';
import { loadConfig } from '../../src/config/load.js';

/** `guichet policy check` reads the configuration only: no database is opened. */
const check = (env: Record<string, string> = {}, json = true) => runGuichet(['policy', 'check', ...(json ? ['--json'] : [])], { env: { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none', ...env } });

describe('guichet policy check', () => {
  test('the default (psd2) profile: every rule with its standard, security questions the only departure', async () => {
    const out = jsonOf<{ profile: string; rules: { ref: string; verdict: string; value: string }[]; departures: number }>(await check());
    expect(out.profile).toBe('psd2');
    const byRef = Object.fromEntries(out.rules.map((r) => [r.ref, r]));
    expect(byRef['G-4 / PSD2-23']).toMatchObject({ value: '90 days', verdict: 'stricter' });
    expect(byRef['G-6 / PSD2-10']).toMatchObject({ value: '300 s', verdict: 'satisfies' });
    expect(byRef['G-1 / CS-03']!.verdict).toBe('departs');
    expect(out.departures).toBe(1);
  });

  test('the strict alternative is one setting away: with the e-mailed link first and no periodic expiry, the questions are a mitigated departure', async () => {
    const text = await check({ GUICHET_RECOVERY_QUESTIONS: 'false', GUICHET_SCA_PROFILE: 'strict' }, false);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('Policy profile: strict');
    expect(text.stdout).toContain('No departure from the standards.');
  });

  test('the insurer’s settings (6-digit code alone, expiry on) are listed as departures with the setting that removes each', async () => {
    const out = jsonOf<{ rules: { ref: string; verdict: string; note?: string }[] }>(await check({ GUICHET_FIRST_FACTOR: 'pin', GUICHET_PASSWORD_EXPIRY_DAYS: '90', GUICHET_SCA_PROFILE: 'basic' }));
    const departing = out.rules.filter((r) => r.verdict === 'departs').map((r) => r.ref);
    expect(departing).toEqual(expect.arrayContaining(['G-2', 'G-3', 'G-4 / PSD2-23']));
    expect(out.rules.find((r) => r.ref === 'G-3')!.note).toContain('GUICHET_PASSWORD_EXPIRY_DAYS=0');
  });

  test('PSD2-23 a period over 180 days under the psd2 profile is refused before anything starts', async () => {
    const run = await check({ GUICHET_SCA_PERIOD_DAYS: '200' });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/GUICHET_SCA_PROFILE \(psd2\): periodDays: 200 is outside 1–180 days/);
  });

  test('the deployment’s allowed methods are listed: all by default, the configured ones otherwise', () => {
    const methods = (config: Record<string, unknown>) => policyReport(loadConfig({}, config)).find((r) => r.rule.startsWith('methods clients may use'));
    expect(methods({})).toMatchObject({ value: 'all (password, pin, emv-cap, totp, hotp, webauthn, x509)', verdict: 'satisfies' });
    expect(methods({ sca: { allowedMethods: ['password', 'emv-cap', 'webauthn'] } })!.value).toBe('password, emv-cap, webauthn');
  });

  test('the report is a pure function of the configuration', () => {
    const rules = policyReport(loadConfig({}, { sca: { profile: 'psd2', periodDays: 180 } }));
    expect(rules.find((r) => r.ref === 'G-4 / PSD2-23')).toMatchObject({ value: '180 days', verdict: 'satisfies' });
  });
});

import { afterAll, beforeAll, expect } from '@jest/globals';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { demoFixture } from '../../src/admin/demo-fixture.js';
import { createTestDatabase } from './services.js';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `guichet` as a child process, as an operator would. `stdin` is written and closed, or, as a
 * function, answers once the output so far asks for it (it returns null until then).
 */
export function runGuichet(args: string[], options: { env: NodeJS.ProcessEnv; stdin?: string | ((stdout: string) => string | null); transcript?: string[] }): Promise<Run> {
  const stdin = options.stdin ?? '';
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'warn', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let answered = typeof stdin === 'string';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (!answered && typeof stdin === 'function') {
        const answer = stdin(stdout);
        if (answer !== null) {
          answered = true;
          child.stdin.end(answer);
        }
      }
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      options.transcript?.push(stdout, stderr);
      resolve({ code, stdout, stderr });
    });
    if (typeof stdin === 'string') child.stdin.end(stdin);
  });
}

/** The JSON document a successful `--json` run printed. */
export const jsonOf = <T = any>(run: Run): T => {
  if (run.code !== 0) throw new Error(`exit ${run.code}: ${run.stderr}`);
  return JSON.parse(run.stdout) as T;
};

export interface DemoDatabase {
  readonly url: string;
  readonly sql: pg.Client;
  /** A folder of the test file's own, removed after it. */
  readonly scratch: string;
}

/**
 * A database of the test file's own, with the demo data loaded through `guichet seed` as an operator
 * would, and claire.martin left without a strong factor (the demo seeds her an app for the PSD2
 * demo; these tests enrol her factors themselves). Dropped after the file.
 */
export function useDemoDatabase(name: string): DemoDatabase {
  const state: { url?: string; sql?: pg.Client; scratch?: string; drop?: () => Promise<void> } = {};
  beforeAll(async () => {
    const database = await createTestDatabase();
    state.url = database.url;
    state.drop = () => database.drop();
    state.sql = new pg.Client({ connectionString: database.url });
    await state.sql.connect();
    state.scratch = await mkdtemp(join(tmpdir(), `guichet-${name}-`));
    const file = join(state.scratch, 'demo.json');
    await writeFile(file, JSON.stringify(demoFixture('http://localhost:3000')));
    expect(jsonOf(await runGuichet(['seed', file, '--json'], { env: { DATABASE_URL: database.url } }))).toMatchObject({ accounts: 3 });
    await state.sql.query(`delete from credentials where kind = 'totp' and account_id = (select id from accounts where username = 'claire.martin')`);
  });
  afterAll(async () => {
    await state.sql?.end();
    await state.drop?.();
    if (state.scratch) await rm(state.scratch, { recursive: true, force: true });
  });
  return {
    get url() { return state.url!; },
    get sql() { return state.sql!; },
    get scratch() { return state.scratch!; },
  };
}

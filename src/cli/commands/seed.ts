import { readFile } from 'node:fs/promises';
import { fixtureSchema } from '../../admin/fixture.js';
import { createAccountAdmin } from '../../admin/account-admin.js';
import { GuichetError } from '../../errors/codes.js';
import { parseCommandArgs } from '../args.js';
import type { Command } from '../command.js';

/** `accounts[2].email` from zod's `['accounts', 2, 'email']`. */
const formatPath = (path: readonly PropertyKey[]): string =>
  path.reduce<string>((out, key) => (typeof key === 'number' ? `${out}[${key}]` : out ? `${out}.${String(key)}` : String(key)), '') || '(root)';

async function readFixture(file: string) {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch (e) {
    const reason = e instanceof SyntaxError ? `not valid JSON (${e.message})` : (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message;
    throw new GuichetError('bad_request', `cannot read fixture ${file}: ${reason}`);
  }
  const parsed = fixtureSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`);
    throw new GuichetError('bad_request', `invalid fixture ${file}: ${problems.length} problem(s)`, { problems });
  }
  return parsed.data;
}

export const seedCommand: Command = {
  name: 'seed',
  synopsis: '<file>',
  summary: 'Load subscriptions, accounts and clients from a JSON fixture (docs/SEED.md); what exists is kept.',
  parse(args) {
    const [file] = parseCommandArgs(this.name, args, {}, { names: ['<file>'] }).positionals as [string];
    return async (session) => {
      const fixture = await readFixture(file);
      const counts = await createAccountAdmin(await session.container(), 'cli').seed(fixture);
      const text = `${file}: ${counts.subscriptions} new subscription(s), ${counts.accounts} new account(s), ${counts.clients} client(s) saved`;
      return { text, json: { file, ...counts } };
    };
  },
};

import type { Command } from './command.js';
import { UsageError } from './args.js';
import { migrateCommand } from './commands/migrate.js';
import { seedCommand } from './commands/seed.js';
import { clientCommands } from './commands/clients.js';
import { accountCommands } from './commands/accounts.js';
import { factorCommands } from './commands/factors.js';
import { capCommands } from './commands/cap.js';
import { policyCommands } from './commands/policy.js';

/** Every `guichet` command, in the order the usage lists them. */
export const COMMANDS: readonly Command[] = [migrateCommand, seedCommand, ...clientCommands, ...accountCommands, ...factorCommands, ...capCommands, ...policyCommands];

export const isGroup = (word: string): boolean => COMMANDS.some((c) => c.name.startsWith(`${word} `));

export function findCommand(words: readonly string[]): Command {
  const [group] = words;
  if (group === undefined) throw new UsageError('missing command');
  const command = COMMANDS.find((c) => c.name === words.join(' '));
  if (command) return command;
  if (isGroup(group)) {
    const subs = COMMANDS.filter((c) => c.name.startsWith(`${group} `)).map((c) => c.name.slice(group.length + 1));
    throw new UsageError(words[1] === undefined ? `${group}: missing subcommand (${subs.join(', ')})` : `${group}: unknown subcommand "${words[1]}" (${subs.join(', ')})`, group);
  }
  throw new UsageError(`unknown command "${group}"`);
}

const FOOTER = `Options on every command:
  --json       print one JSON document on stdout instead of text
  -h, --help   print this help

Accounts are named by username or by SUBSCRIPTION/USERNUMBER. Passwords, confidential codes and OATH
seeds are read from stdin (--password-stdin, --pin-stdin, --secret-stdin), never from the arguments;
passwords and codes must pass the password and PIN policies, or with --must-change (a temporary secret)
at least their length rules. factor enrol-totp prints its secret before it reads the app's first code
(--code-stdin); with --json it prints that part as a first JSON document, on one line.
Configuration comes from the environment, as for the server: DATABASE_URL (without it, the embedded
database in GUICHET_DATA_DIR, .guichet by default), REDIS_URL, GUICHET_CONFIG_FILE, ...

Exit status: 0 done, 1 the command failed, 2 usage error.`;

const describe = (c: Pick<Command, 'name' | 'synopsis' | 'summary'>): string => `  guichet ${c.name}${c.synopsis ? ` ${c.synopsis}` : ''}\n      ${c.summary}`;

/** The usage of every command, or of those of one group or command (`client`, `account show`). */
export function usage(topic?: string): string {
  const shown = topic ? COMMANDS.filter((c) => c.name === topic || c.name.startsWith(`${topic} `)) : [];
  if (shown.length > 0) return ['Usage:', ...shown.map(describe), '', "Run 'guichet help' for every command and option."].join('\n');
  const help = { name: 'help', synopsis: '[command]', summary: 'Print this help, or that of one command.' };
  return ['Usage: guichet <command> [options]', '', 'Commands:', ...COMMANDS.map(describe), describe(help), '', FOOTER].join('\n');
}

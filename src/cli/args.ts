import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A mistake in how the command was called: exit 2 with the usage of `topic` (a group or command). */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly topic?: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** Accepted by every command; main.ts reads them before the command parses its own. */
export const GLOBAL_OPTIONS = {
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies Options;

type Parsed<O extends Options> = ReturnType<typeof parseArgs<{ args: string[]; options: O & typeof GLOBAL_OPTIONS; allowPositionals: true; strict: true }>>;

/**
 * Strict parseArgs for one command: unknown options, missing values and a wrong number of
 * positionals are usage errors, named after the command.
 */
export function parseCommandArgs<O extends Options>(
  command: string,
  args: string[],
  options: O,
  positionals: { names: readonly string[]; optional?: number } = { names: [] },
): Parsed<O> {
  let parsed: Parsed<O>;
  try {
    parsed = parseArgs({ args, options: { ...options, ...GLOBAL_OPTIONS }, allowPositionals: true, strict: true }) as Parsed<O>;
  } catch (e) {
    throw new UsageError(`${command}: ${(e as Error).message.split('\n')[0]}`, command);
  }
  const max = positionals.names.length;
  const min = max - (positionals.optional ?? 0);
  const count = parsed.positionals.length;
  if (count < min) throw new UsageError(`${command}: missing ${positionals.names.slice(count).join(' ')}`, command);
  if (count > max) throw new UsageError(`${command}: unexpected argument "${parsed.positionals[max]}"`, command);
  return parsed;
}

const GLOBAL_FLAGS = new Set(['--json', '--help', '-h']);

/** What was asked for: the command words (`client add`), the remaining arguments and the global flags. */
export interface Invocation {
  words: string[];
  rest: string[];
  json: boolean;
  help: boolean;
}

/**
 * Finds the command words among the arguments. Global flags may come anywhere; the words are the
 * first one or two tokens that are not global flags (two when the first names a group).
 */
export function splitInvocation(argv: readonly string[], isGroup: (word: string) => boolean): Invocation {
  const end = argv.indexOf('--');
  const flags = end === -1 ? argv : argv.slice(0, end);
  const invocation: Invocation = { words: [], rest: [], json: flags.includes('--json'), help: flags.includes('--help') || flags.includes('-h') };
  let wanted = 1;
  for (const [i, token] of argv.entries()) {
    if (invocation.words.length < wanted && !GLOBAL_FLAGS.has(token) && (end === -1 || i < end)) {
      if (token.startsWith('-')) {
        if (invocation.words.length === 0) throw new UsageError(`unknown option ${token} before the command`);
        throw new UsageError(`${invocation.words[0]}: expected a subcommand before ${token}`, invocation.words[0]);
      }
      invocation.words.push(token);
      if (invocation.words.length === 1 && isGroup(token)) wanted = 2;
      continue;
    }
    invocation.rest.push(token);
  }
  return invocation;
}

import { pino } from 'pino';
import { ConfigError, loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import type { Container } from '../container.js';
import { isGuichetError } from '../errors/codes.js';
import { splitInvocation, UsageError } from './args.js';
import type { Run, Session } from './command.js';
import { findCommand, isGroup, usage } from './registry.js';
import { readCodeFromStdin, readSecretFromStdin } from './stdin.js';

/** The `guichet` administration command: one command per run; exit 0 done, 1 failed, 2 usage. */

const write = (stream: NodeJS.WriteStream, text: string): Promise<void> =>
  new Promise((resolve) => (text ? stream.write(text.endsWith('\n') ? text : `${text}\n`, () => resolve()) : resolve()));

function openSession(config: Readonly<Config>, json: boolean): Session & { close(): Promise<void> } {
  let opening: Promise<Container> | null = null;
  return {
    config,
    container() {
      // Loaded on first use, so that help and usage errors answer at once. Logs go to stderr at warn,
      // so that stdout carries only the command's output.
      opening ??= import('../container.js').then(({ createCoreContainer }) =>
        createCoreContainer(config, { logger: pino({ level: 'warn' }, pino.destination({ dest: 2, sync: true })) }),
      );
      return opening;
    },
    readSecret: (what) => readSecretFromStdin(what),
    readCode: (option, prompt) => readCodeFromStdin({ option, prompt }),
    print: (output) => write(process.stdout, json ? JSON.stringify(output.json) : output.text),
    async close() {
      if (opening) await (await opening.catch(() => null))?.close();
    },
  };
}

async function main(argv: string[]): Promise<number> {
  let run: Run;
  let json = false;
  try {
    const invocation = splitInvocation(argv, isGroup);
    json = invocation.json;
    const [first] = invocation.words;
    if (first === 'help' || (invocation.help && !first) || (invocation.help && invocation.words.length === 1 && isGroup(first!))) {
      const topic = first === 'help' ? invocation.rest.filter((t) => !t.startsWith('-')).join(' ') || undefined : first;
      await write(process.stdout, usage(topic));
      return 0;
    }
    const command = findCommand(invocation.words);
    if (invocation.help) {
      await write(process.stdout, usage(command.name));
      return 0;
    }
    run = command.parse(invocation.rest);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    await write(process.stderr, `guichet: ${e.message}\n\n${usage(e.topic)}`);
    return 2;
  }

  let config: Readonly<Config>;
  try {
    config = loadConfig(process.env);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    await write(process.stderr, `guichet: ${e.message}`);
    return 1;
  }

  const session = openSession(config, json);
  let status = 0;
  try {
    const output = await run(session);
    await write(process.stdout, json ? JSON.stringify(output.json, null, 2) : output.text);
  } catch (e) {
    status = 1;
    const message = e instanceof Error ? e.message.split('\n')[0]! : String(e);
    const problems = isGuichetError(e) && Array.isArray(e.details.problems) ? (e.details.problems as string[]) : [];
    await write(process.stderr, [`guichet: ${isGuichetError(e) ? '' : 'unexpected error: '}${message}`, ...problems.map((p) => `  - ${p}`)].join('\n'));
    if (json) await write(process.stdout, JSON.stringify({ error: { code: isGuichetError(e) ? e.code : 'internal', message, ...(problems.length > 0 ? { problems } : {}) } }, null, 2));
  }
  try {
    await session.close();
  } catch (e) {
    await write(process.stderr, `guichet: closing the database failed: ${(e as Error).message}`);
    status ||= 1;
  }
  return status;
}

try {
  process.exit(await main(process.argv.slice(2)));
} catch (e) {
  await write(process.stderr, `guichet: unexpected error: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
  process.exit(1);
}

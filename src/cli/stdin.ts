import { createInterface } from 'node:readline';
import { GuichetError } from '../errors/codes.js';

/** The secrets a command may read from stdin, and how messages name them. */
export const STDIN_SECRETS = {
  password: { option: '--password-stdin', noun: 'password' },
  pin: { option: '--pin-stdin', noun: 'confidential code' },
  'oath-secret': { option: '--secret-stdin', noun: 'OATH secret' },
} as const;

export type StdinSecret = keyof typeof STDIN_SECRETS;

/**
 * Reads one secret from stdin (a pipe or a file, like `docker login --password-stdin`): one trailing
 * newline is dropped, anything else is kept. A terminal is refused, since it would echo the secret.
 */
export async function readSecretFromStdin(what: StdinSecret = 'password', stdin: NodeJS.ReadStream = process.stdin): Promise<string> {
  const { option, noun } = STDIN_SECRETS[what];
  if (stdin.isTTY) throw new GuichetError('bad_request', `${option} reads the ${noun} from a pipe or a file, not a terminal (for example: guichet … ${option} < secret.txt)`);
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  const secret = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
  if (secret.length === 0) throw new GuichetError('bad_request', `no ${noun} on stdin`);
  if (/[\r\n]/.test(secret)) throw new GuichetError('bad_request', `the ${noun} on stdin must be a single line`);
  if (secret.length > 1024) throw new GuichetError('bad_request', `the ${noun} on stdin is longer than 1024 characters`);
  return secret;
}

/** How long `--code-stdin` waits for the first code of an authenticator app. */
export const CODE_TIMEOUT_MS = 10 * 60_000;

/**
 * Reads the first line of stdin: a one-time code typed after the command printed what it needs
 * (`factor enrol-totp --code-stdin`). Unlike a secret, a terminal is accepted (the code is spent by
 * the command, and the person at the counter types it as the app shows it); `prompt` then goes to
 * stderr. A pipe may send the line whenever it is ready.
 */
export async function readCodeFromStdin(
  options: { option: string; prompt?: string; timeoutMs?: number } = { option: '--code-stdin' },
  stdin: NodeJS.ReadStream = process.stdin,
): Promise<string> {
  if (stdin.isTTY && options.prompt) process.stderr.write(options.prompt);
  const lines = createInterface({ input: stdin, crlfDelay: Infinity, terminal: false });
  let timer: NodeJS.Timeout | undefined;
  try {
    const line = await new Promise<string | null | 'timeout'>((resolve) => {
      lines.once('line', resolve);
      lines.once('close', () => resolve(null));
      timer = setTimeout(() => resolve('timeout'), options.timeoutMs ?? CODE_TIMEOUT_MS);
    });
    if (line === 'timeout') throw new GuichetError('bad_request', `no code on stdin within ${Math.round((options.timeoutMs ?? CODE_TIMEOUT_MS) / 60_000)} minutes (${options.option})`);
    const code = (line ?? '').trim();
    if (code.length === 0) throw new GuichetError('bad_request', `no code on stdin (${options.option})`);
    if (code.length > 32) throw new GuichetError('bad_request', `the code on stdin is longer than 32 characters (${options.option})`);
    return code;
  } finally {
    clearTimeout(timer);
    lines.close();
  }
}

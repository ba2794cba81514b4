import { GuichetError } from '../errors/codes.js';

/** The secrets a command may read from stdin, and how messages name them. */
export const STDIN_SECRETS = {
  password: { option: '--password-stdin', noun: 'password' },
  pin: { option: '--pin-stdin', noun: 'confidential code' },
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

import { GuichetError } from '../errors/codes.js';

/**
 * Reads one secret from stdin (a pipe or a file, like `docker login --password-stdin`): one trailing
 * newline is dropped, anything else is kept. A terminal is refused, since it would echo the secret.
 */
export async function readSecretFromStdin(stdin: NodeJS.ReadStream = process.stdin): Promise<string> {
  if (stdin.isTTY) throw new GuichetError('bad_request', '--password-stdin reads the password from a pipe or a file, not a terminal (for example: guichet … --password-stdin < password.txt)');
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  const secret = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
  if (secret.length === 0) throw new GuichetError('bad_request', 'no password on stdin');
  if (/[\r\n]/.test(secret)) throw new GuichetError('bad_request', 'the password on stdin must be a single line');
  if (secret.length > 1024) throw new GuichetError('bad_request', 'the password on stdin is longer than 1024 characters');
  return secret;
}

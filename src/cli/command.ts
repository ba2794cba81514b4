import type { Config } from '../config/schema.js';
import type { Container } from '../container.js';
import type { StdinSecret } from './stdin.js';

/** What a command prints: `text` for people, `json` (one document) with `--json`. */
export interface Output {
  text: string;
  json: unknown;
}

/** What a command may use; the container is opened on first use, so `migrate` and usage errors never open it. */
export interface Session {
  config: Readonly<Config>;
  container(): Promise<Container>;
  /** The secret piped on stdin (`--password-stdin`, `--pin-stdin`, `--secret-stdin`); never taken from the arguments. */
  readSecret(what: StdinSecret): Promise<string>;
  /** The first line of stdin, a one-time code (`--code-stdin`); on a terminal, `prompt` is shown on stderr. */
  readCode(option: string, prompt: string): Promise<string>;
  /**
   * Prints part of the output now, before the command goes on (for example before it waits for
   * stdin): its text, or with `--json` its JSON on one line, ahead of the command's final document.
   */
  print(output: Output): Promise<void>;
}

export type Run = (session: Session) => Promise<Output>;

export interface Command {
  /** The words that call it: `migrate`, `client add`. */
  name: string;
  /** Arguments and options, as printed in the usage. */
  synopsis: string;
  summary: string;
  /** Parses and checks the arguments (throwing UsageError) and returns the work to do. */
  parse(args: string[]): Run;
}

import { spawn } from 'node:child_process';
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

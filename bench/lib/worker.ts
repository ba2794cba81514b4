import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';

/** A child process answering requests over Node's IPC channel: `{ id, ...request }` → `{ id, ok, result | error }`. */
export class Worker {
  private next = 1;
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  readonly exited: Promise<number | null>;

  constructor(readonly name: string, readonly child: ChildProcess) {
    child.on('message', (m: { id?: number; ok?: boolean; result?: unknown; error?: string }) => {
      if (typeof m?.id !== 'number') return;
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.ok) p.resolve(m.result);
      else p.reject(new Error(`${name}: ${m.error}`));
    });
    this.exited = new Promise((resolve) => {
      child.once('exit', (code) => {
        for (const p of this.pending.values()) p.reject(new Error(`${name} exited (${code})`));
        this.pending.clear();
        resolve(code);
      });
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  request<T>(message: Record<string, unknown>, timeoutMs = 600_000): Promise<T> {
    const id = this.next++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${this.name}: no answer to ${String(message.cmd)} in ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.child.send({ id, ...message });
    });
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 5000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

export function startWorker(name: string, command: string, args: string[], options: { env: NodeJS.ProcessEnv; cwd: string; stdio?: StdioOptions }): Worker {
  const child = spawn(command, args, { env: options.env, cwd: options.cwd, stdio: options.stdio ?? ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Worker(name, child);
}

/** The worker side: answers each request with the handler's result (or its error). */
export function serve(handler: (message: Record<string, unknown> & { cmd: string }) => Promise<unknown>): void {
  process.on('message', (m: Record<string, unknown> & { id: number; cmd: string }) => {
    handler(m).then(
      (result) => process.send!({ id: m.id, ok: true, result }),
      (e: unknown) => process.send!({ id: m.id, ok: false, error: e instanceof Error ? (e.stack ?? e.message) : String(e) }),
    );
  });
  process.once('disconnect', () => process.exit(0));
}

import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { createServer } from 'node:net';
import { cpus, totalmem, release } from 'node:os';

/** Clock ticks per second of /proc/<pid>/stat (getconf CLK_TCK; 100 on every Linux we meet). */
export const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** utime + stime of a process (every thread: the event loop, libuv's pool, V8's GC), in ms. */
export function processCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name may hold spaces and parentheses: count fields after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return ((utime + stime) * 1000) / CLK_TCK;
}

/** Resident set size now and at its peak (VmHWM), in MiB. */
export function processMemory(pid: number): { rssMiB: number; peakRssMiB: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
  return { rssMiB: kib('VmRSS') / 1024, peakRssMiB: kib('VmHWM') / 1024 };
}

/** Whole-machine CPU counters (every core), in ms: what everyone on the box used, us included. */
export function machineCpuMs(): { busy: number; total: number; steal: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = v;
  const toMs = (t: number) => (t * 1000) / CLK_TCK;
  return { busy: toMs(user + nice + system + irq + softirq + steal), total: toMs(user + nice + system + idle + iowait + irq + softirq + steal), steal: toMs(steal) };
}

export function machineInfo() {
  const c = cpus();
  return {
    cpuModel: c[0]?.model ?? 'unknown',
    cores: c.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    kernel: release(),
    node: process.version,
    loadAverageAtStart: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number),
  };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** CPU of the main thread (the event loop: tid = pid) and of every other thread (libuv's pool, V8's helpers), in ms. */
export function threadCpuMs(pid: number): { main: number; mainSystem: number; others: number } {
  const [user, system] = threadStatMs(`/proc/${pid}/task/${pid}/stat`);
  return { main: user + system, mainSystem: system, others: processCpuMs(pid) - user - system };
}

function threadStatMs(path: string): [number, number] {
  try {
    const stat = readFileSync(path, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return [(Number(fields[11]) * 1000) / CLK_TCK, (Number(fields[12]) * 1000) / CLK_TCK];
  } catch {
    return [0, 0];
  }
}

/** Which sources were measured: the commit HEAD names (read from .git, no git command) and a digest of src/, views/, migrations/ as they are on disk. */
export function sourceState(root: string): { gitHead: string | null; sourceSha256: string; files: number } {
  let gitHead: string | null = null;
  try {
    const head = readFileSync(join(root, '.git/HEAD'), 'utf8').trim();
    if (head.startsWith('ref: ')) {
      const ref = head.slice(5);
      try {
        gitHead = readFileSync(join(root, '.git', ref), 'utf8').trim();
      } catch {
        const packed = readFileSync(join(root, '.git/packed-refs'), 'utf8');
        gitHead = new RegExp(`^([0-9a-f]{40}) ${ref.replace(/[/.]/g, '\\$&')}$`, 'm').exec(packed)?.[1] ?? null;
      }
    } else gitHead = head;
  } catch {
    /* not a git checkout */
  }
  const hash = createHash('sha256');
  let files = 0;
  const walk = (dir: string) => {
    for (const entry of readdirSync(join(root, dir), { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (/\.(ts|css)$/.test(entry.name)) {
        hash.update(path).update('\0').update(readFileSync(join(root, path))).update('\0');
        files++;
      }
    }
  };
  for (const dir of ['src', 'views', 'migrations']) walk(dir);
  return { gitHead, sourceSha256: hash.digest('hex'), files };
}

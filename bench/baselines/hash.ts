/**
 * Baseline H: argon2id verify alone, production parameters, each binding, in its own process with the
 * server's Node flags and UV_THREADPOOL_SIZE. Serial latency, then saturation (2 × cores in flight):
 * verifies/s and CPU-ms per verify (this process's CPU, every thread). Prints one JSON line.
 */
import argon2 from 'argon2';
import * as noderRs from '@node-rs/argon2';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { median, round, summarise } from '../lib/stats.js';
import { serve } from '../lib/worker.js';

const params = { memoryKiB: Number(process.env.H_MEMORY_KIB ?? 19456), timeCost: Number(process.env.H_TIME_COST ?? 2), parallelism: Number(process.env.H_PARALLELISM ?? 1) };
const reps = Number(process.env.H_REPS ?? 3);
const durationMs = Number(process.env.H_DURATION_MS ?? 4000);
const serialCount = Number(process.env.H_SERIAL ?? 30);
const concurrency = Number(process.env.H_CONCURRENCY ?? 2 * cpus().length);
const password = 'bench-password-0-Correct-Horse';

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

type Verify = (hash: string, secret: string) => Promise<boolean>;
const bindings: Record<string, Verify> = {
  argon2: (h, s) => argon2.verify(h, s),
  '@node-rs/argon2': (h, s) => noderRs.verify(h, s),
};

/** `concurrency` verifies in flight for `ms`: verifies/s, CPU-ms per verify, cores used. */
async function saturate(verify: Verify, hash: string, ms: number) {
  let done = 0;
  const c0 = cpuMs();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() - t0 < ms) {
        await verify(hash, password);
        done++;
      }
    }),
  );
  const wall = performance.now() - t0;
  const cpu = cpuMs() - c0;
  return { rate: round((done * 1000) / wall, 2), cpuMsPerVerify: round(cpu / done, 3), cores: round(cpu / wall, 2), verifies: done };
}

async function measure(name: string, verify: Verify, hash: string) {
  for (let i = 0; i < 10; i++) if (!(await verify(hash, password))) throw new Error(`${name}: verify failed`);
  const serial: number[] = [];
  for (let i = 0; i < serialCount; i++) {
    const t = performance.now();
    await verify(hash, password);
    serial.push(performance.now() - t);
  }
  const runs: { rate: number; cpuMsPerVerify: number; cores: number }[] = [];
  for (let r = 0; r < reps; r++) runs.push(await saturate(verify, hash, durationMs));
  return {
    binding: name,
    serial: summarise(serial),
    concurrency,
    rate: median(runs.map((r) => r.rate)),
    cpuMsPerVerify: median(runs.map((r) => r.cpuMsPerVerify)),
    cores: median(runs.map((r) => r.cores)),
    reps: runs,
  };
}

const hash = await argon2.hash(password, { type: argon2.argon2id, memoryCost: params.memoryKiB, timeCost: params.timeCost, parallelism: params.parallelism });
if (process.send) {
  // Kept running by the bench to measure H again right beside each saturated-login repetition.
  serve(async (m) => {
    if (m.cmd !== 'saturate') throw new Error(`unknown command ${m.cmd}`);
    return saturate(bindings[String(m.binding ?? 'argon2')]!, hash, Number(m.durationMs));
  });
} else {
  const out: Record<string, unknown> = { params, uvThreadpoolSize: process.env.UV_THREADPOOL_SIZE ?? '4 (default)', hash: hash.replace(/\$[^$]+\$[^$]+$/, '$…') };
  for (const [name, verify] of Object.entries(bindings)) out[name] = await measure(name, verify, hash);
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

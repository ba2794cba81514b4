/**
 * Baseline R: raw round trips on loopback, in a process of their own. Redis GET with ioredis and a
 * Postgres primary-key SELECT with pg, serially (latency, client CPU per call) and with 32 in
 * flight (throughput). Prints one JSON line.
 */
import { Redis } from 'ioredis';
import pg from 'pg';
import { performance } from 'node:perf_hooks';
import { round, summarise } from '../lib/stats.js';

const redisUrl = process.env.R_REDIS_URL!;
const databaseUrl = process.env.R_DATABASE_URL!;
const serialCount = Number(process.env.R_SERIAL ?? 3000);
const parallelMs = Number(process.env.R_PARALLEL_MS ?? 2000);

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

async function run(name: string, call: (i: number) => Promise<unknown>) {
  for (let i = 0; i < 200; i++) await call(i);
  const samples: number[] = [];
  const c0 = cpuMs();
  for (let i = 0; i < serialCount; i++) {
    const t = performance.now();
    await call(i);
    samples.push(performance.now() - t);
  }
  const serialCpu = (cpuMs() - c0) / serialCount;
  let done = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: 32 }, async (_, w) => {
      while (performance.now() - t0 < parallelMs) {
        await call(w + done);
        done++;
      }
    }),
  );
  return { name, serial: summarise(samples), clientCpuMsPerCall: round(serialCpu, 4), ratePerSecondAt32: round((done * 1000) / (performance.now() - t0), 0) };
}

const redis = new Redis(redisUrl, { keyPrefix: 'bench-raw:' });
await redis.set('k', 'x'.repeat(300));
const redisGet = await run('redis GET (ioredis)', () => redis.get('k'));
await redis.del('k');
redis.disconnect();

const pool = new pg.Pool({ connectionString: databaseUrl, max: 10 });
const ids = (await pool.query<{ id: string }>('select id from accounts limit 1000')).rows.map((r) => r.id);
const pgSelect = await run('postgres SELECT by primary key (pg, pool of 10)', (i) => pool.query('select * from accounts where id = $1', [ids[i % ids.length]]));
await pool.end();

process.stdout.write(`${JSON.stringify({ redisGet, pgSelect })}\n`);

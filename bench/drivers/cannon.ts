/**
 * autocannon in its own process, for single endpoints (keep-alive, closed model). Latencies are
 * taken from each response so that p95 exists; the answer carries the driver's own CPU time.
 */
import autocannon from 'autocannon';
import { performance } from 'node:perf_hooks';
import { serve } from '../lib/worker.js';
import { summarise } from '../lib/stats.js';

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

serve(async (m) => {
  if (m.cmd !== 'cannon') throw new Error(`unknown command ${m.cmd}`);
  const samples: number[] = [];
  let bad = 0;
  const cpu0 = cpuMs();
  const t0 = performance.now();
  const result = await new Promise<import('autocannon').Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: String(m.url),
        method: String(m.method ?? 'GET'),
        headers: (m.headers as Record<string, string>) ?? {},
        body: m.body as string | undefined,
        connections: Number(m.connections ?? 32),
        pipelining: 1,
        timeout: 30,
        ...(m.amount ? { amount: Number(m.amount) } : { duration: Number(m.durationS ?? 5) }),
      },
      (err, r) => (err ? reject(err) : resolve(r)),
    );
    instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
      samples.push(ms);
      if (status >= 300) bad++;
    });
  });
  const wallMs = performance.now() - t0;
  const ok = samples.length - bad;
  return {
    ops: ok,
    errors: bad + result.errors + result.timeouts,
    dropped: 0,
    wallMs,
    driverCpuMs: cpuMs() - cpu0,
    latency: summarise(samples),
    steps: {},
    errorSamples: bad ? [`${bad} non-2xx answers`] : [],
  };
});

/**
 * Preloaded into the server under test (`node --import …/probe …`): counts Postgres queries (per
 * statement) and Redis commands and sequential round trips (per command and key family), and keeps
 * an event-loop delay histogram, answering snapshots over the IPC channel the bench opened. It
 * changes nothing the server does; its own cost is a counter increment per query or command.
 * Without an IPC channel (run by hand) it does nothing.
 */
import { createRequire } from 'node:module';
import { monitorEventLoopDelay } from 'node:perf_hooks';

interface Snapshot {
  pgQueries: number;
  pgByStatement: Record<string, number>;
  redisCommands: number;
  redisRoundTrips: number;
  redisByCommand: Record<string, number>;
  eventLoop: { p50: number; p99: number; max: number; mean: number; samples: number; resolutionMs: number };
  memory: NodeJS.MemoryUsage;
}

if (process.send) {
  const require = createRequire(import.meta.url);
  const prefix = process.env.GUICHET_REDIS_PREFIX ?? process.env.BENCH_REDIS_PREFIX ?? '';
  const pgByStatement = new Map<string, number>();
  const redisByCommand = new Map<string, number>();
  let pgQueries = 0;
  let redisCommands = 0;
  let redisRoundTrips = 0;
  const bump = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);

  // Postgres: knex drives pg.Client#query with { text, values }.
  try {
    const pg = require('pg') as { Client: { prototype: { query: (...args: unknown[]) => unknown } } };
    const query = pg.Client.prototype.query;
    pg.Client.prototype.query = function (this: unknown, config: unknown, ...rest: unknown[]) {
      const text = typeof config === 'string' ? config : (config as { text?: string } | null)?.text;
      if (text) {
        pgQueries++;
        bump(pgByStatement, text.replace(/\s+/g, ' ').slice(0, 160));
      }
      return query.call(this, config, ...rest);
    };
  } catch {
    /* no pg in this process (the bare provider) */
  }

  // Redis: a command sent while none is awaiting its reply on that connection starts a new round
  // trip; one sent while others are in flight (pipelines, MULTI, Promise.all) rides along.
  try {
    const ioredis = require('ioredis') as { Redis: { prototype: Record<string, unknown> } };
    const proto = ioredis.Redis.prototype as { sendCommand: (command: { name: string; args: unknown[] }, stream?: unknown) => unknown };
    const send = proto.sendCommand;
    const family = (key: unknown): string => {
      let k = Buffer.isBuffer(key) ? key.toString() : typeof key === 'string' ? key : '';
      if (prefix && k.startsWith(prefix)) k = k.slice(prefix.length);
      const parts = k.split(':');
      // oidc:<Model>:… · oidc:consumed:<Model>:… · flow:… · rl:ip:… · lockout:… · abuse:fail:ip:…
      const keep = parts[0] === 'oidc' ? (parts[1] === 'consumed' || parts[2] === 'uid' || parts[2] === 'userCode' ? 3 : 2) : parts[0] === 'abuse' ? 3 : parts[0] === 'rl' || parts[0] === 'cache' ? 2 : 1;
      return parts.slice(0, keep).join(':') + (parts.length > keep ? ':*' : '');
    };
    proto.sendCommand = function (this: { commandQueue?: { length: number }; status?: string }, command, stream) {
      const name = String(command?.name ?? '?').toLowerCase();
      if (name !== 'info' && name !== 'client' && name !== 'hello' && name !== 'select') {
        redisCommands++;
        if (this.status === 'ready' && (this.commandQueue?.length ?? 0) === 0 && !stream) redisRoundTrips++;
        const keyArg = name === 'eval' || name === 'evalsha' ? command.args?.[2] : command.args?.[0];
        bump(redisByCommand, `${name} ${family(keyArg)}`);
      }
      return send.call(this, command, stream);
    };
  } catch {
    /* no ioredis */
  }

  const resolutionMs = 10;
  const loop = monitorEventLoopDelay({ resolution: resolutionMs });
  loop.enable();
  // The histogram holds the timer's intervals: lag is the part beyond the resolution.
  const lag = (ns: number) => Math.max(0, ns / 1e6 - resolutionMs);

  process.on('message', (m: { id?: number; cmd?: string; reset?: boolean }) => {
    if (m?.cmd !== 'probe') return;
    const snapshot: Snapshot = {
      pgQueries,
      pgByStatement: Object.fromEntries(pgByStatement),
      redisCommands,
      redisRoundTrips,
      redisByCommand: Object.fromEntries(redisByCommand),
      eventLoop: { p50: lag(loop.percentile(50)), p99: lag(loop.percentile(99)), max: lag(loop.max), mean: lag(loop.mean), samples: loop.count, resolutionMs },
      memory: process.memoryUsage(),
    };
    if (m.reset) loop.reset();
    process.send!({ id: m.id, ok: true, result: snapshot });
  });
  // The bench went away: do not outlive it.
  process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
}

export {};

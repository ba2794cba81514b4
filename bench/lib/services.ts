import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { freePort, sleep } from './proc.js';

const withDatabase = (url: string, database: string) => {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.href;
};

/** A fresh database on the real Postgres for this run; `drop()` removes it. */
export async function createDatabase(adminUrl: string, name: string): Promise<{ url: string; name: string; drop(): Promise<void> }> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  return {
    url: withDatabase(adminUrl, name),
    name,
    async drop() {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

/** pg_stat_database counters of one database (flushed by backends within a few seconds, and at exit). */
export async function databaseStats(adminUrl: string, name: string): Promise<Record<string, number>> {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  try {
    const { rows } = await c.query('select xact_commit, xact_rollback, tup_returned, tup_fetched, tup_inserted, tup_updated, tup_deleted, blks_hit, blks_read from pg_stat_database where datname = $1', [name]);
    return Object.fromEntries(Object.entries(rows[0] ?? {}).map(([k, v]) => [k, Number(v)]));
  } finally {
    await c.end();
  }
}

export async function pgStatStatementsAvailable(adminUrl: string): Promise<boolean> {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  try {
    const { rows } = await c.query(`select current_setting('shared_preload_libraries') as libs`);
    return String(rows[0]?.libs ?? '').includes('pg_stat_statements');
  } finally {
    await c.end();
  }
}

export interface RedisService {
  url: string;
  /** True when the bench started its own redis-server (clean INFO counters, nobody else's keys). */
  private: boolean;
  client: Redis;
  info(): Promise<RedisInfo>;
  stop(): Promise<void>;
}

export interface RedisInfo {
  usedMemory: number;
  cpuSeconds: number;
  commands: Record<string, number>;
}

function parseInfo(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0 && !line.startsWith('#')) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

/**
 * The real Redis: by default a redis-server of our own on a free loopback port (same binary as the
 * shared one, no persistence), so that INFO commandstats, used_memory and Redis CPU count only this
 * run, while other sessions' tests keep using the shared instance. BENCH_REDIS_URL uses another one.
 */
export async function startRedis(externalUrl?: string): Promise<RedisService> {
  let child: ChildProcess | undefined;
  let url = externalUrl;
  if (!url) {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'guichet-bench-redis-'));
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--loglevel', 'warning'], { stdio: 'ignore' });
    url = `redis://127.0.0.1:${port}/0`;
    for (let i = 0; ; i++) {
      const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      probe.on('error', () => {});
      try {
        await probe.connect();
        await probe.ping();
        probe.disconnect();
        break;
      } catch {
        probe.disconnect();
        if (i > 50 || child.exitCode !== null) throw new Error('redis-server did not start (is it installed?)');
        await sleep(100);
      }
    }
  }
  const client = new Redis(url);
  return {
    url,
    private: Boolean(child),
    client,
    async info() {
      const [stats, cpu, memory] = await Promise.all([client.info('commandstats'), client.info('cpu'), client.info('memory')]);
      const commands: Record<string, number> = {};
      for (const [k, v] of Object.entries(parseInfo(stats))) {
        const calls = /calls=(\d+)/.exec(v);
        if (k.startsWith('cmdstat_') && calls) commands[k.slice(8)] = Number(calls[1]);
      }
      const c = parseInfo(cpu);
      return {
        usedMemory: Number(parseInfo(memory).used_memory),
        cpuSeconds: Number(c.used_cpu_user ?? 0) + Number(c.used_cpu_sys ?? 0),
        commands,
      };
    },
    async stop() {
      client.disconnect();
      if (child && child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => child!.once('exit', r));
      }
    },
  };
}

/** MEMORY USAGE of every key under a prefix, grouped by key family, with their TTLs. */
export async function keyBreakdown(client: Redis, prefix: string, family: (key: string) => string): Promise<Record<string, { keys: number; bytes: number; avgBytes: number; avgTtlSeconds: number }>> {
  const groups = new Map<string, { keys: number; bytes: number; ttl: number }>();
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 2000);
    cursor = next;
    if (keys.length === 0) continue;
    const pipe = client.pipeline();
    for (const k of keys) {
      pipe.call('MEMORY', 'USAGE', k, 'SAMPLES', '0');
      pipe.ttl(k);
    }
    const replies = (await pipe.exec()) ?? [];
    keys.forEach((k, i) => {
      const bytes = Number(replies[2 * i]?.[1] ?? 0);
      const ttl = Number(replies[2 * i + 1]?.[1] ?? -1);
      const f = family(k.slice(prefix.length));
      const g = groups.get(f) ?? { keys: 0, bytes: 0, ttl: 0 };
      g.keys++;
      g.bytes += bytes;
      g.ttl += ttl;
      groups.set(f, g);
    });
  } while (cursor !== '0');
  return Object.fromEntries(
    [...groups].sort((a, b) => b[1].bytes - a[1].bytes).map(([f, g]) => [f, { keys: g.keys, bytes: g.bytes, avgBytes: Math.round(g.bytes / g.keys), avgTtlSeconds: Math.round(g.ttl / g.keys) }]),
  );
}

/** The key families the probe also uses: oidc:<Model>, oidc:consumed:<Model>, flow, rl:<name>, … */
export function keyFamily(k: string): string {
  const parts = k.split(':');
  const keep = parts[0] === 'oidc' ? (parts[1] === 'consumed' || parts[2] === 'uid' || parts[2] === 'userCode' ? 3 : 2) : parts[0] === 'abuse' ? 3 : parts[0] === 'rl' || parts[0] === 'cache' ? 2 : 1;
  return parts.slice(0, keep).join(':') + (parts.length > keep ? ':*' : '');
}

import type { Middleware } from 'koa';
import type { ExpiringStore, Repositories } from '../domain/ports.js';

const withTimeout = <T>(p: Promise<T>, ms: number): Promise<T> =>
  Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error('timeout')), ms).unref())]);

/** /healthz: the process answers. /readyz: Postgres and Redis answer too (503 otherwise). */
export function healthRoutes(repos: Repositories, store: ExpiringStore): Middleware {
  return async (ctx, next) => {
    if (ctx.path === '/healthz') {
      ctx.body = { status: 'ok' };
      return;
    }
    if (ctx.path === '/readyz') {
      const check = async (fn: () => Promise<void>) => withTimeout(fn(), 1500).then(() => 'ok', () => 'unavailable');
      const [database, cache] = await Promise.all([check(() => repos.ping()), check(() => store.ping())]);
      const ready = database === 'ok' && cache === 'ok';
      ctx.status = ready ? 200 : 503;
      ctx.set('Cache-Control', 'no-store');
      ctx.body = { status: ready ? 'ready' : 'unavailable', checks: { database, store: cache } };
      return;
    }
    await next();
  };
}

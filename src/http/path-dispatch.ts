import type { Middleware, Next, ParameterizedContext } from 'koa';

/** Middleware run one after the other, the last one's `next` being the caller's. */
function chain(list: readonly Middleware[]): Middleware {
  return (ctx, next) => {
    const run = (i: number): Promise<unknown> => (i === list.length ? next() : Promise.resolve(list[i]!(ctx, () => run(i + 1))));
    return run(0);
  };
}

/**
 * Guichet's routers, each behind the first segment of the paths it serves (`/interaction/…` →
 * the login pages). oidc-provider's own endpoints (/token, /me, /jwks, …) come after all of them:
 * without this each of those requests would first be matched against every route of every router,
 * a large share of a refresh or client-credentials grant's CPU. A path no router answers goes on
 * to oidc-provider, as before. Segments compare without case, as @koa/router's routes do.
 */
export function dispatchByFirstSegment(routes: Readonly<Record<string, readonly Middleware[]>>): Middleware {
  const table = new Map(Object.entries(routes).map(([segment, list]) => [segment.toLowerCase(), chain(list)] as const));
  return (ctx: ParameterizedContext, next: Next) => {
    const path = ctx.path;
    const end = path.indexOf('/', 1);
    const handler = table.get((end === -1 ? path.slice(1) : path.slice(1, end)).toLowerCase());
    return handler ? handler(ctx, next) : next();
  };
}

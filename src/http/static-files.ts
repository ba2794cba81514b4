import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Middleware } from 'koa';

const FILES: Record<string, { path: string; type: string }> = {
  '/static/guichet.css': { path: '../../views/static/guichet.css', type: 'text/css; charset=utf-8' },
};

/** The few static assets, read once at start. */
export function staticFiles(): Middleware {
  const loaded = new Map(
    Object.entries(FILES).map(([route, f]) => {
      const source = new URL(f.path, import.meta.url);
      // The compiled build runs from dist/src/http; assets stay in views/static at the root.
      let body: Buffer;
      try {
        body = readFileSync(fileURLToPath(source));
      } catch {
        body = readFileSync(fileURLToPath(new URL(`../${f.path}`, import.meta.url)));
      }
      return [route, { body, type: f.type }];
    }),
  );
  return async (ctx, next) => {
    const file = loaded.get(ctx.path);
    if (!file || ctx.method !== 'GET') return next();
    ctx.type = file.type;
    ctx.set('Cache-Control', 'public, max-age=3600');
    ctx.body = file.body;
  };
}

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Middleware } from 'koa';

const JS = 'text/javascript; charset=utf-8';

const FILES: Record<string, { path: string; type: string }> = {
  '/static/guichet.css': { path: '../../views/static/guichet.css', type: 'text/css; charset=utf-8' },
  '/static/passkey.js': { path: '../../views/static/passkey.js', type: JS },
};

/**
 * Files served straight from an installed package (the version package-lock.json pins): the passkey
 * pages' WebAuthn helper, whose UMD bundle defines `window.SimpleWebAuthnBrowser`.
 */
const PACKAGE_FILES: Record<string, { resolve: () => string; type: string }> = {
  '/static/simplewebauthn-browser.js': {
    resolve: () => join(dirname(createRequire(import.meta.url).resolve('@simplewebauthn/browser')), '../dist/bundle/index.umd.min.js'),
    type: JS,
  },
};

function readOwn(path: string): Buffer {
  const source = new URL(path, import.meta.url);
  // The compiled build runs from dist/src/http; assets stay in views/static at the root.
  try {
    return readFileSync(fileURLToPath(source));
  } catch {
    return readFileSync(fileURLToPath(new URL(`../${path}`, import.meta.url)));
  }
}

/** The few static assets, read once at start. */
export function staticFiles(): Middleware {
  const loaded = new Map([
    ...Object.entries(FILES).map(([route, f]) => [route, { body: readOwn(f.path), type: f.type }] as const),
    ...Object.entries(PACKAGE_FILES).map(([route, f]) => [route, { body: readFileSync(f.resolve()), type: f.type }] as const),
  ]);
  return async (ctx, next) => {
    const file = loaded.get(ctx.path);
    if (!file || ctx.method !== 'GET') return next();
    ctx.type = file.type;
    ctx.set('Cache-Control', 'public, max-age=3600');
    ctx.body = file.body;
  };
}

import type { Middleware } from 'koa';

/** A strict CSP for Guichet's own pages: no script at all, styles from our origin only. */
export const PAGE_CSP = [
  "default-src 'none'",
  // No script of ours; oidc-provider appends the hash of its own self-submitting forms (form_post).
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * Headers on every response (OIDC-13: no framing; ASVS V3/V14). HSTS only over https.
 * oidc-provider's own HTML (form_post, its check-session pages) sets its own CSP with nonces;
 * ours never loosens it.
 */
export function securityHeaders(options: { https: boolean }): Middleware {
  return async (ctx, next) => {
    // Set before the routes run, so oidc-provider can add its scripts' hashes to it.
    ctx.set('Content-Security-Policy', PAGE_CSP);
    try {
      await next();
    } finally {
      ctx.set('X-Frame-Options', 'DENY');
      ctx.set('X-Content-Type-Options', 'nosniff');
      ctx.set('Referrer-Policy', 'no-referrer');
      ctx.set('Cross-Origin-Opener-Policy', 'same-origin');
      ctx.set('Permissions-Policy', 'camera=(), microphone=(), geolocation=(), payment=()');
      if (options.https) ctx.set('Strict-Transport-Security', 'max-age=63072000; includeSubDomains');
      const existing = ctx.response.get('Content-Security-Policy');
      if (!existing) ctx.set('Content-Security-Policy', PAGE_CSP);
      else if (!/frame-ancestors/.test(String(existing))) ctx.set('Content-Security-Policy', `${existing}; frame-ancestors 'none'`);
      if (ctx.response.is('html')) ctx.set('Cache-Control', 'no-store');
    }
  };
}

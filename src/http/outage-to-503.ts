import type { Middleware } from 'koa';
import type Provider from 'oidc-provider';
import type { Logger } from 'pino';
import type { Locale } from '../domain/account.js';
import { GuichetError } from '../errors/codes.js';
import { isOutage } from './outage.js';
import { renderGuichetError } from './error-renderer.js';

/**
 * oidc-provider answers any storage failure with `server_error` (500). When the cause is Postgres or
 * Redis being unreachable, the truth is "try again later": 503, `temporarily_unavailable` for programs
 * (RFC 6749 §4.1.2.1), the unavailable page for people.
 */
export function outageTo503(provider: Provider, logger: Logger, fallback: Locale): Middleware {
  provider.on('server_error', (ctx, error) => {
    if (isOutage(error)) ctx.state.outage = true;
    else logger.error({ err: error, path: ctx.path }, 'oidc-provider server_error');
  });
  return async (ctx, next) => {
    await next();
    if (!ctx.state.outage) return;
    logger.error({ path: ctx.path }, 'storage unavailable');
    ctx.set('Retry-After', '5');
    if (ctx.response.is('html')) {
      renderGuichetError(ctx, new GuichetError('service_unavailable'), fallback);
    } else {
      ctx.status = 503;
      ctx.body = { error: 'temporarily_unavailable', error_description: 'a storage service is unavailable, try again shortly' };
    }
  };
}

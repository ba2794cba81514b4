import type { Context, Middleware } from 'koa';
import type { Logger } from 'pino';
import { GuichetError, isGuichetError } from '../errors/codes.js';
import type { Locale } from '../domain/account.js';
import type { MessageId } from '../i18n/messages.js';
import { errorPage } from '../../views/error.js';
import { isOutage } from './outage.js';
import { pageContext } from './page-context.js';

const wantsJson = (ctx: Context) => ctx.accepts('html', 'json') === 'json' && !ctx.accepts('html');

export function renderGuichetError(ctx: Context, error: GuichetError, fallback: Locale, restart?: { href: string }): void {
  ctx.status = error.status;
  if (wantsJson(ctx)) {
    ctx.type = 'application/problem+json';
    ctx.body = { type: `urn:guichet:error:${error.code}`, title: error.code, status: error.status };
    return;
  }
  const page = pageContext(ctx, fallback);
  const message = page.t(`error.${error.code}` as MessageId);
  ctx.type = 'html';
  ctx.body = errorPage(page, message, restart ? { href: restart.href, label: page.t('error.session_expired.restart') } : undefined);
}

/**
 * The one place faults become responses for Guichet's own routes: coded errors keep their status,
 * outages become 503, anything else is a logged 500 (a bug) with a plain page and no detail.
 */
export function errorRenderer(logger: Logger, fallback: Locale): Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } catch (e) {
      let error: GuichetError;
      if (isGuichetError(e)) error = e;
      else if (isOutage(e)) {
        logger.error({ err: e, path: ctx.path }, 'storage unavailable');
        error = new GuichetError('service_unavailable');
        ctx.set('Retry-After', '5');
      } else {
        logger.error({ err: e, path: ctx.path }, 'unhandled error');
        error = new GuichetError('internal');
      }
      renderGuichetError(ctx, error, fallback, error.details.restart ? { href: String(error.details.restart) } : undefined);
    }
  };
}

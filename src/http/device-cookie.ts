import type { Context } from 'koa';
import { randomToken } from '../lib/random.js';

/**
 * The device cookie: a random id, signed with the provider's cookie keys, long-lived, that names
 * this browser. A device becomes known for an account only once an SCA was completed on it
 * (src/policy/sca-state.ts); the cookie itself proves nothing and holds nothing about the person.
 */
export const deviceCookieName = (secure: boolean): string => (secure ? '__Host-guichet_device' : 'guichet_device');

/** The device id the browser sent (signature checked), if any. */
export function readDeviceId(ctx: Pick<Context, 'cookies'>, secure: boolean): string | null {
  const value = ctx.cookies.get(deviceCookieName(secure), { signed: true });
  return value && /^[\w-]{22,64}$/.test(value) ? value : null;
}

/** The device id, set on first sight (HttpOnly, SameSite=Lax, `days` long). */
export function ensureDeviceId(ctx: Pick<Context, 'cookies'>, secure: boolean, days: number): string {
  const existing = readDeviceId(ctx, secure);
  if (existing) return existing;
  const id = randomToken(24);
  ctx.cookies.set(deviceCookieName(secure), id, { signed: true, httpOnly: true, sameSite: 'lax', secure, path: '/', maxAge: days * 86_400_000, overwrite: true });
  return id;
}

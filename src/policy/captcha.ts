import { createHash } from 'node:crypto';
import type { CaptchaSource, ExpiringStore } from '../domain/ports.js';
import { safeEqual } from '../lib/constant-time.js';

const normalise = (answer: string) => answer.normalize('NFKC').replace(/\s+/g, '').toLowerCase();
const hashed = (scope: string, answer: string) => createHash('sha256').update(`${scope}\u0000${normalise(answer)}`).digest('base64url');

/**
 * One captcha per scope (a login flow): the answer is kept hashed with a short TTL and works once,
 * right or wrong; a new image replaces the old.
 */
export function createCaptcha(deps: { store: ExpiringStore; source: CaptchaSource; ttlSeconds: number }) {
  const key = (scope: string) => `captcha:${scope}`;
  return {
    async issue(scope: string): Promise<string> {
      const { answer, svg } = deps.source.create();
      await deps.store.set(key(scope), hashed(scope, answer), deps.ttlSeconds);
      return svg;
    },
    async verify(scope: string, answer: string): Promise<boolean> {
      const expected = await deps.store.get(key(scope));
      await deps.store.delete(key(scope));
      return expected !== null && answer.length > 0 && answer.length < 64 && safeEqual(expected, hashed(scope, answer));
    },
  };
}

export type Captcha = ReturnType<typeof createCaptcha>;

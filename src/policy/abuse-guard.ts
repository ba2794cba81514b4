import { createHash } from 'node:crypto';
import type { ExpiringStore, RateLimiterFactory } from '../domain/ports.js';

export interface AbusePolicy {
  perIp: { points: number; durationSeconds: number };
  perIdentifier: { points: number; durationSeconds: number };
  /** Failures from one IP, or on one identifier, after which a captcha precedes the next try. */
  captchaAfterFailures: number;
  failureWindowSeconds: number;
}

const digest = (s: string) => createHash('sha256').update(s.normalize('NFKC').toLowerCase()).digest('base64url').slice(0, 22);

/**
 * Anti-automation (ASVS 5.0 6.1.1, 6.3.1; OWASP credential stuffing): rate limits per client IP and
 * per identifier, and a captcha once either has failed K times. Identifiers are hashed in keys.
 */
export function createAbuseGuard(deps: { store: ExpiringStore; limiters: RateLimiterFactory; policy: AbusePolicy }) {
  const { store, policy } = deps;
  const byIp = deps.limiters.create('ip', policy.perIp);
  const byIdentifier = deps.limiters.create('identifier', policy.perIdentifier);
  const ipFailures = (ip: string) => `abuse:fail:ip:${ip}`;
  const idFailures = (identifier: string) => `abuse:fail:id:${digest(identifier)}`;
  const count = async (key: string) => Number((await store.get(key)) ?? 0);

  return {
    async checkRate(ip: string, identifier?: string): Promise<{ allowed: boolean; retryAfterSeconds: number }> {
      const ipResult = await byIp.consume(ip);
      if (!ipResult.allowed) return ipResult;
      return identifier ? byIdentifier.consume(digest(identifier)) : ipResult;
    },
    async captchaRequired(ip: string, identifier: string | undefined): Promise<boolean> {
      if (policy.captchaAfterFailures <= 0) return false;
      const [fromIp, onIdentifier] = await Promise.all([count(ipFailures(ip)), identifier ? count(idFailures(identifier)) : 0]);
      return fromIp >= policy.captchaAfterFailures || onIdentifier >= policy.captchaAfterFailures;
    },
    async recordFailure(ip: string, identifier: string | undefined): Promise<void> {
      await store.increment(ipFailures(ip), policy.failureWindowSeconds);
      if (identifier) await store.increment(idFailures(identifier), policy.failureWindowSeconds);
    },
    async recordSuccess(identifier: string): Promise<void> {
      await store.delete(idFailures(identifier));
    },
  };
}

export type AbuseGuard = ReturnType<typeof createAbuseGuard>;

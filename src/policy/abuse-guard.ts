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

  return {
    /**
     * Both limits are consumed together (one round trip): a request refused for its IP still counts
     * against the identifier, which only makes the identifier's limit stricter.
     */
    async checkRate(ip: string, identifier?: string): Promise<{ allowed: boolean; retryAfterSeconds: number }> {
      const [ipResult, idResult] = await Promise.all([byIp.consume(ip), identifier ? byIdentifier.consume(digest(identifier)) : undefined]);
      return !ipResult.allowed || !idResult ? ipResult : idResult;
    },
    async captchaRequired(ip: string, identifier: string | undefined): Promise<boolean> {
      if (policy.captchaAfterFailures <= 0) return false;
      const counts = await store.getMany(identifier ? [ipFailures(ip), idFailures(identifier)] : [ipFailures(ip)]);
      return counts.some((n) => Number(n ?? 0) >= policy.captchaAfterFailures);
    },
    // The failure counters feed the captcha only: with it disabled they are neither kept nor reset.
    async recordFailure(ip: string, identifier: string | undefined): Promise<void> {
      if (policy.captchaAfterFailures <= 0) return;
      await Promise.all([store.increment(ipFailures(ip), policy.failureWindowSeconds), identifier ? store.increment(idFailures(identifier), policy.failureWindowSeconds) : undefined]);
    },
    async recordSuccess(identifier: string): Promise<void> {
      if (policy.captchaAfterFailures <= 0) return;
      await store.delete(idFailures(identifier));
    },
  };
}

export type AbuseGuard = ReturnType<typeof createAbuseGuard>;

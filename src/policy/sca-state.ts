import type { ExpiringStore } from '../domain/ports.js';
import type { Clock } from '../lib/clock.js';

/** The longest SCA period any profile allows (PSD2 RTS art. 10: 180 days); the key lives that long. */
const LONGEST_PERIOD_SECONDS = 180 * 86_400;
/** A device stays known this long without an SCA on it. */
const DEVICE_SECONDS = 400 * 86_400;

/**
 * The SCA memory kept in the shared store (Redis): when each account last completed SCA, which
 * devices have done SCA for it, and a sliding idle key per session (account and device) after SCA. Only presence counts:
 * a flushed store forgets everything, which makes Guichet ask for SCA, never skip it.
 */
export function createScaState(deps: { store: ExpiringStore; clock: Clock }) {
  const { store, clock } = deps;
  const lastKey = (accountId: string) => `sca:last:${accountId}`;
  const deviceKey = (accountId: string, deviceId: string) => `sca:device:${accountId}:${deviceId}`;
  const idleKey = (sessionKey: string) => `sca:idle:${sessionKey}`;

  return {
    async lastScaAt(accountId: string): Promise<Date | null> {
      const raw = await store.get(lastKey(accountId));
      return raw ? new Date(Number(raw)) : null;
    },
    async deviceKnown(accountId: string, deviceId: string | null): Promise<boolean> {
      return deviceId !== null && (await store.get(deviceKey(accountId, deviceId))) !== null;
    },
    /** The value is the last activity's time, compared with the clock (the TTL only cleans up). */
    async scaStillActive(sessionKey: string | null | undefined, idleSeconds: number): Promise<boolean> {
      if (!sessionKey) return false;
      const raw = await store.get(idleKey(sessionKey));
      return raw !== null && clock.now().getTime() - Number(raw) <= idleSeconds * 1000;
    },
    /** After a completed SCA: the period restarts, the device becomes known, the idle timer starts. */
    async recordSca(input: { accountId: string; deviceId: string | null; sessionKey: string | null; idleSeconds: number }): Promise<void> {
      const now = clock.now().getTime();
      await store.set(lastKey(input.accountId), String(now), LONGEST_PERIOD_SECONDS);
      if (input.deviceId) await store.set(deviceKey(input.accountId, input.deviceId), String(now), DEVICE_SECONDS);
      if (input.sessionKey) await store.set(idleKey(input.sessionKey), String(now), input.idleSeconds + 60);
    },
    /** Activity at SCA level slides the idle limit; a session already idle is not revived. */
    async touch(sessionKey: string, idleSeconds: number): Promise<boolean> {
      if (!(await this.scaStillActive(sessionKey, idleSeconds))) return false;
      await store.set(idleKey(sessionKey), String(clock.now().getTime()), idleSeconds + 60);
      return true;
    },
  };
}

export type ScaState = ReturnType<typeof createScaState>;

import { errors, interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider';
import type { Config } from '../config/schema.js';
import type { Clock } from '../lib/clock.js';
import type { ScaState } from '../policy/sca-state.js';
import { scaPolicyOf } from '../policy/client-policy.js';
import { LEVEL_RANK, levelOfAcr, requiredLevel } from '../policy/step-up.js';
import type { Level } from '../policy/assurance.js';
import { readDeviceId } from '../http/device-cookie.js';
import { authorizationDetailsOf } from './authorization-details-param.js';

const DAY = 86_400_000;

/** The idle timer of SCA runs per account and device, as the login pages record it. */
const idleKey = (accountId: string, deviceId: string | null) => (deviceId ? `${accountId}:${deviceId}` : null);

/**
 * The SCA policy's rules as oidc-provider login checks, so that a browser with a session is sent
 * back to the login pages when a rule asks for SCA (each check's name is the reason logged and
 * shown): `sca_period_elapsed`, `new_device`, `idle_after_sca`. Without a session the login pages
 * apply the same rules themselves (requirementAt in src/http/interaction/interaction-kit.ts).
 */
export function scaChecks(deps: { config: Readonly<Config>; scaState: ScaState; clock: Clock }): interactionPolicy.Check[] {
  const { config, scaState, clock } = deps;
  const secure = new URL(config.issuer).protocol === 'https:';
  const policyOf = (ctx: KoaContextWithOIDC) => scaPolicyOf(config, ctx.oidc.client?.metadata() as Record<string, unknown> | undefined);
  const { Check } = interactionPolicy;

  const wantedLevel = (ctx: KoaContextWithOIDC): Level => {
    const policy = policyOf(ctx);
    const params = ctx.oidc.params as Record<string, unknown> | undefined;
    return requiredLevel({ acrValues: params?.acr_values as string | undefined, clientMinimum: policy.minimumLevel, authorizationDetails: authorizationDetailsOf(params) }, config.acr).level;
  };

  return [
    new Check('sca_period_elapsed', 'the last strong customer authentication is older than the client’s SCA period', async (ctx) => {
      const accountId = ctx.oidc.session?.accountId;
      const policy = policyOf(ctx);
      if (!accountId || policy.periodDays === null) return Check.NO_NEED_TO_PROMPT;
      const last = await scaState.lastScaAt(accountId);
      return last === null || clock.now().getTime() - last.getTime() > policy.periodDays * DAY ? Check.REQUEST_PROMPT : Check.NO_NEED_TO_PROMPT;
    }),
    new Check('new_device', 'no strong customer authentication was completed on this device for the account', async (ctx) => {
      const accountId = ctx.oidc.session?.accountId;
      if (!accountId || !policyOf(ctx).newDevice) return Check.NO_NEED_TO_PROMPT;
      return (await scaState.deviceKnown(accountId, readDeviceId(ctx, secure))) ? Check.NO_NEED_TO_PROMPT : Check.REQUEST_PROMPT;
    }),
    new Check('idle_after_sca', 'the session’s strong authentication has been idle longer than allowed', async (ctx) => {
      const accountId = ctx.oidc.session?.accountId;
      if (!accountId || LEVEL_RANK[wantedLevel(ctx)] < LEVEL_RANK.sca) return Check.NO_NEED_TO_PROMPT;
      const reached = (ctx.oidc.acr && levelOfAcr(ctx.oidc.acr, config.acr)) || 'none';
      // A session below SCA is the business of `level_below_requested`.
      if (LEVEL_RANK[reached] < LEVEL_RANK.sca) return Check.NO_NEED_TO_PROMPT;
      const key = idleKey(accountId, readDeviceId(ctx, secure));
      // Activity at SCA level slides the timer; an expired one is never revived.
      return key && (await scaState.touch(key, policyOf(ctx).idleSeconds)) ? Check.NO_NEED_TO_PROMPT : Check.REQUEST_PROMPT;
    }),
  ];
}

/**
 * A refresh token keeps its original authentication: past the idle limit it no longer yields
 * SCA-level tokens (the new tokens say `simple`), and past the SCA period (with no newer SCA on
 * record) it yields nothing. Runs as oidc-provider's `rotateRefreshToken`, before the rotated token
 * and the new access and ID tokens are made from the presented one.
 */
export function refreshRule(deps: { config: Readonly<Config>; scaState: ScaState; clock: Clock }) {
  const { config, scaState, clock } = deps;
  return async (ctx: KoaContextWithOIDC): Promise<boolean> => {
    const token = ctx.oidc.entities.RefreshToken as { acr?: string; authTime?: number; accountId: string } | undefined;
    if (!token) return true;
    const policy = scaPolicyOf(config, ctx.oidc.client?.metadata() as Record<string, unknown> | undefined);
    const now = clock.now().getTime();
    const authenticatedAt = (token.authTime ?? 0) * 1000;
    if (policy.periodDays !== null && now - authenticatedAt > policy.periodDays * DAY) {
      const last = await scaState.lastScaAt(token.accountId);
      if (last === null || now - last.getTime() > policy.periodDays * DAY) throw new errors.InvalidGrant('the SCA period has elapsed: the user must sign in again');
    }
    const level = token.acr ? levelOfAcr(token.acr, config.acr) : undefined;
    if (level && LEVEL_RANK[level] >= LEVEL_RANK.sca && now - authenticatedAt > policy.idleSeconds * 1000) token.acr = config.acr.simple;
    return true;
  };
}

import { randomInt } from 'node:crypto';
import { z } from 'zod';
import type { FactorCredential } from '../../domain/credential.js';
import type { FactorCredentialRepository } from '../../domain/ports.js';
import { GuichetError } from '../../errors/codes.js';
import type { Authenticator, AuthContext } from '../contract.js';
import type { CapCardRecord } from './cap-card-record.js';
import { IDENTIFY, type CapRequest } from './cap-request.js';
import type { CardKeyOperations } from './card-key-operations.js';
import { emvCapSettingsSchema, type EmvCapSettings } from './emv-cap-settings.js';
import { checkRequestForCard } from './fill-cdol.js';
import { resynchroniseCapCard } from './resynchronise-cap-card.js';
import { verifyCapCode, type CapVerifyResult } from './verify-cap-code.js';

const code = z.string().regex(/^\d{1,10}$/);
/** `nextCode` asks for resynchronisation: two Identify codes made back to back (EMV-CAP.md §6.4). */
const input = z.object({ code, nextCode: code.optional() });
type Input = z.infer<typeof input>;

/** What the card must be given, from `begin`; the flow stores it and deletes it once verify ran (single use). */
export type EmvCapChallenge = CapRequest;

export interface EmvCapEvidence {
  credentialId: string;
  /** The ATC now recorded as last accepted. */
  atc: number;
  mode: CapRequest['mode'];
  resynchronised: boolean;
}

export interface EmvCapDependencies {
  factors: FactorCredentialRepository;
  keys: CardKeyOperations;
  settings?: EmvCapSettings;
  /** 8 random digits; tests pass their own. */
  randomChallenge?: () => string;
}

const randomDigits = (): string => String(randomInt(0, 100_000_000)).padStart(8, '0');

/** An amount such as "1234.56" in minor units without leading zeros ("123456"); the exponent is 2. */
export function toMinorUnits(amount: string): string {
  const m = /^(\d{1,10})(?:\.(\d{1,2}))?$/.exec(amount.trim());
  if (!m) throw new GuichetError('bad_request', 'a transaction amount must be digits with at most two decimals');
  return String(BigInt(m[1]!) * 100n + BigInt((m[2] ?? '').padEnd(2, '0')));
}

const blockedAt = <D>(c: FactorCredential<D>, now: Date): boolean => c.blockedAt !== null || (c.blockedUntil !== null && c.blockedUntil > now);

/**
 * The bank card in its reader (EMV-CAP.md): possession of the chip's key and knowledge of the PIN
 * the chip checked. amr (RFC 8176 §2), read as the HOTP factor reads it: `otp` (the typed code is a
 * one-time password), `hwk` (proof of possession of a hardware-secured key: the chip's MK_AC), `pin`
 * (a PIN that unlocks a key on the device, with a try counter). A code is accepted once: the ATC it
 * carries must be above the last accepted one, and is advanced atomically.
 */
export function createEmvCapAuthenticator(deps: EmvCapDependencies) {
  const settings = deps.settings ?? emvCapSettingsSchema.parse({});
  const randomChallenge = deps.randomChallenge ?? randomDigits;

  const cardsOf = async (ctx: AuthContext) => (ctx.account ? deps.factors.listForAccount<CapCardRecord>(ctx.account.id, 'emv-cap') : []);

  const check = (card: FactorCredential<CapCardRecord>, given: Input, request: CapRequest): Promise<CapVerifyResult> =>
    given.nextCode === undefined
      ? verifyCapCode(deps.keys, { card: card.data, lastAtc: card.counter, code: given.code, request, window: settings.window })
      : resynchroniseCapCard(deps.keys, { card: card.data, lastAtc: card.counter, codes: [given.code, given.nextCode], request, window: settings.resynchronisation.window, maxGap: settings.resynchronisation.maxGap });

  return {
    id: 'emv-cap',
    factors: ['possession', 'knowledge'],
    amr: ['otp', 'hwk', 'pin'],
    requiresAccount: true,
    input,
    async isEnrolled(ctx) {
      return (await cardsOf(ctx)).length > 0;
    },
    /** A transaction is signed (CAP-03); otherwise a fresh 8-digit challenge, or Identify if so configured. */
    async begin(ctx): Promise<EmvCapChallenge> {
      const amount = ctx.transaction?.amount;
      if (amount !== undefined) {
        const minor = toMinorUnits(amount);
        if (settings.signMode === 'respond-with-amount') return { mode: 'respond', challenge: randomChallenge(), amount: minor };
        const payee = (ctx.transaction?.payee ?? '').replace(/\D/g, '').slice(-settings.payeeDigits);
        return { mode: 'sign', fields: payee ? [minor, payee] : [minor] };
      }
      return settings.loginMode === 'identify' ? { mode: 'identify' } : { mode: 'respond', challenge: randomChallenge() };
    },
    /**
     * `challenge` is what `begin` returned. Without one (a flow that shows no challenge), only an
     * Identify code can be judged, and only when Identify is the configured login mode.
     */
    async verify(ctx, given, challenge?: EmvCapChallenge) {
      if (challenge === undefined) {
        if (settings.loginMode !== 'identify') return { kind: 'not-applicable' };
        challenge = IDENTIFY;
      }
      if (!ctx.account) return { kind: 'rejected', reason: 'unknown_account' };
      if (given.nextCode !== undefined && (!settings.resynchronisation.enabled || challenge.mode === 'sign')) {
        throw new GuichetError('bad_request', 'resynchronisation is not offered here');
      }
      const cards = await cardsOf(ctx);
      if (cards.length === 0) return { kind: 'rejected', reason: 'no_credential' };
      // Resynchronisation takes two Identify codes (EMV-CAP.md §6.4), whatever the login mode.
      const request = given.nextCode === undefined ? challenge : IDENTIFY;
      // A card that cannot bind what is asked (an amount without IAF b8) is not tried at all.
      const able = cards.filter((c) => checkRequestForCard(c.data.profile.iaf, request).length === 0);
      if (able.length === 0) return { kind: 'rejected', reason: 'no_credential' };
      const usable = able.filter((c) => !blockedAt(c, ctx.now));
      if (usable.length === 0) return { kind: 'rejected', reason: 'credential_blocked' };
      const reasons = new Set<string>();
      for (const card of usable) {
        const result = await check(card, given, request);
        if (result.kind === 'rejected') {
          reasons.add(result.reason);
          continue;
        }
        // Compare-and-set: of concurrent submissions of one code, one moves the counter (PSD2-03).
        if (!(await deps.factors.advanceCounter(card.id, result.evidence.atc))) return { kind: 'rejected', reason: 'replayed' };
        const evidence: EmvCapEvidence = { credentialId: card.id, atc: result.evidence.atc, mode: request.mode, resynchronised: given.nextCode !== undefined };
        return { kind: 'verified', accountId: ctx.account.id, evidence };
      }
      if (reasons.has('replayed')) return { kind: 'rejected', reason: 'replayed' };
      // A card whose ATC reached FFFF cannot make codes any more (§6.4): it needs replacing.
      if (reasons.size === 1 && reasons.has('counter_exhausted')) return { kind: 'rejected', reason: 'credential_blocked' };
      return { kind: 'rejected', reason: 'wrong_secret' };
    },
    async commit(ctx, evidence) {
      await deps.factors.recordUse(evidence.credentialId, ctx.now);
    },
  } satisfies Authenticator<Input, EmvCapChallenge, EmvCapEvidence>;
}

export type EmvCapAuthenticator = ReturnType<typeof createEmvCapAuthenticator>;

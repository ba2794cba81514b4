import type { Account } from '../domain/account.js';
import type { FactorCredential } from '../domain/credential.js';
import type { FactorCredentialRepository } from '../domain/ports.js';
import type { Clock } from '../lib/clock.js';
import type { CapCardRecord } from '../authenticators/emv-cap/cap-card-record.js';
import type { CardKeyOperations } from '../authenticators/emv-cap/card-key-operations.js';
import { emvCapSettingsSchema } from '../authenticators/emv-cap/emv-cap-settings.js';
import { resynchroniseCapCard } from '../authenticators/emv-cap/resynchronise-cap-card.js';
import { createHotpAuthenticator } from '../authenticators/oath/hotp-authenticator.js';
import type { OathPolicy } from '../authenticators/oath/oath-policy.js';

export interface ResynchroniseDependencies {
  factors: FactorCredentialRepository;
  clock: Clock;
  oath?: Partial<OathPolicy>;
  /** Opens card keys; without them a card cannot be resynchronised. */
  cardKeys?: CardKeyOperations | undefined;
}

/** Why two codes did not resynchronise a credential; named in the audit and in the answer. */
export type ResyncRefusal = 'no_credential' | 'not_resynchronisable' | 'malformed_codes' | 'credential_blocked' | 'no_match' | 'replayed' | 'counter_exhausted';

export type ResyncOutcome =
  | { kind: 'resynchronised'; credential: FactorCredential<unknown>; counter: number }
  | { kind: 'refused'; reason: ResyncRefusal; credential: FactorCredential<unknown> | null };

/** Two codes made back to back: on one line (space or comma between) or on two lines. */
export function readCodePair(text: string): readonly [string, string] | null {
  const codes = text.split(/[\s,;]+/).filter(Boolean);
  return codes.length === 2 && codes.every((c) => /^\d{1,10}$/.test(c)) ? [codes[0]!, codes[1]!] : null;
}

/**
 * An administrator resynchronises a token or card that ran ahead of its counter, with two codes the
 * user made back to back: HOTP per RFC 4226 §7.4 over `hotpResyncWindow` counters, EMV-CAP per
 * EMV-CAP.md §6.4 over the ATC resynchronisation window (Identify mode). On success the counter is
 * advanced atomically past the second code, so both codes, and every earlier one, are spent.
 */
export async function resynchroniseFactor(deps: ResynchroniseDependencies, account: Account, credentialId: string, codes: readonly [string, string]): Promise<ResyncOutcome> {
  const credential = await deps.factors.findById<unknown>(credentialId);
  if (!credential || credential.accountId !== account.id) return { kind: 'refused', reason: 'no_credential', credential: null };
  const refused = (reason: ResyncRefusal): ResyncOutcome => ({ kind: 'refused', reason, credential });
  if (!codes.every((c) => /^\d{1,10}$/.test(c))) return refused('malformed_codes');
  const now = deps.clock.now();

  if (credential.kind === 'hotp') {
    const hotp = createHotpAuthenticator({ factors: deps.factors, clock: deps.clock, ...(deps.oath ? { policy: deps.oath } : {}) });
    const ctx = { flowId: 'admin-resync', account, now, ip: '', userAgent: '' };
    const outcome = await hotp.resynchronise(ctx, credential.id, codes[0], codes[1]);
    if (outcome.kind === 'verified') return { kind: 'resynchronised', credential, counter: outcome.evidence.counter };
    return refused(outcome.kind === 'rejected' && (outcome.reason === 'credential_blocked' || outcome.reason === 'replayed') ? outcome.reason : 'no_match');
  }

  if (credential.kind === 'emv-cap') {
    if (!deps.cardKeys) return refused('not_resynchronisable');
    if (credential.blockedAt !== null || (credential.blockedUntil !== null && credential.blockedUntil > now)) return refused('credential_blocked');
    const { window, maxGap } = emvCapSettingsSchema.parse({}).resynchronisation;
    const card = credential as FactorCredential<CapCardRecord>;
    const result = await resynchroniseCapCard(deps.cardKeys, { card: card.data, lastAtc: card.counter, codes, window, maxGap });
    if (result.kind === 'rejected') return refused(result.reason === 'counter_exhausted' ? 'counter_exhausted' : result.reason === 'malformed_code' ? 'malformed_codes' : 'no_match');
    // Compare-and-set: of two concurrent resynchronisations with the same codes, one moves the ATC.
    if (!(await deps.factors.advanceCounter(credential.id, result.evidence.atc))) return refused('replayed');
    return { kind: 'resynchronised', credential, counter: result.evidence.atc };
  }

  return refused('not_resynchronisable');
}

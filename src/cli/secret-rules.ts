import type { Config } from '../config/schema.js';
import type { CredentialKind } from '../domain/credential.js';
import { GuichetError } from '../errors/codes.js';
import { translator } from '../i18n/messages.js';
import { checkPassword, checkPin, describePasswordRejection, describePinRejection, type PasswordRejection, type PinRejection } from '../policy/secret-policy.js';

/** Words tied to the service that no password may contain (ASVS 5.0 6.2.11). */
const SERVICE_WORDS = ['guichet'];

/**
 * What a temporary secret (`--must-change`, replaced at the next login) must still respect: its
 * length and, for a code, its digits. The other rules apply to the secret the person then chooses.
 */
const TEMPORARY_RULES: ReadonlySet<PasswordRejection | PinRejection> = new Set(['too_short', 'too_long', 'pin_not_digits', 'pin_wrong_length']);

const NOUN: Record<CredentialKind, string> = { password: 'password', pin: 'confidential code' };

/**
 * Checks a secret chosen through the CLI against the configured policy; throws a `bad_request` whose
 * `problems` are the reasons, in English, when it is refused. `identifiers` are the account's
 * (username, user number, subscription identifier, e-mail).
 */
export function enforceSecretPolicy(
  config: Readonly<Pick<Config, 'passwordPolicy' | 'pinPolicy'>>,
  kind: CredentialKind,
  secret: string,
  options: { identifiers: ReadonlyArray<string | null | undefined>; mustChange: boolean },
): void {
  const identifiers = options.identifiers.filter((id): id is string => typeof id === 'string' && id !== '');
  const t = translator('en');
  const relevant = <R extends string>(reasons: R[]) => (options.mustChange ? reasons.filter((r) => TEMPORARY_RULES.has(r as PasswordRejection | PinRejection)) : reasons);
  let problems: string[];
  if (kind === 'pin') {
    const check = checkPin(secret, config.pinPolicy, { identifiers });
    problems = check.ok ? [] : relevant(check.reasons).map((r) => describePinRejection(r, config.pinPolicy)).map(({ id, params }) => t(id, params));
  } else {
    const check = checkPassword(secret, config.passwordPolicy, { identifiers, serviceWords: SERVICE_WORDS });
    problems = check.ok ? [] : relevant(check.reasons).map((r) => describePasswordRejection(r, config.passwordPolicy)).map(({ id, params }) => t(id, params));
  }
  if (problems.length > 0) {
    throw new GuichetError('bad_request', `the ${NOUN[kind]} is refused by the ${kind === 'pin' ? 'PIN' : 'password'} policy (${problems.length} reason${problems.length > 1 ? 's' : ''})`, { problems });
  }
}

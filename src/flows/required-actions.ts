import type { Account } from '../domain/account.js';
import type { CredentialKind, SecretCredential } from '../domain/credential.js';
import type { CredentialRepository, FactorCredentialRepository, SecurityAnswerRepository } from '../domain/ports.js';
import type { Config } from '../config/schema.js';
import type { Clock } from '../lib/clock.js';

/** What must be finished between the last factor and the end of a login; also the pages' `data-step`. */
export type RequiredAction = 'new-secret' | 'security-questions' | 'personal-data' | 'enrol-passkey';

/** Why an action is due: stable reasons for the audit log, the tests and the page's wording. */
export type ActionReason = 'password_must_change' | 'password_expired' | 'temporary_secret_used' | 'security_questions_missing' | 'registration_incomplete' | 'assisted_enrolment';

export interface DueAction {
  action: RequiredAction;
  reason: ActionReason;
}

export type RegistrationStep = Config['registration']['steps'][number];

/** Stored state (and the two things only the login itself knows) from which the due actions follow. */
export interface ActionState {
  /** The account's status is `pending_registration`. */
  registering: boolean;
  /** The credential of the kind this client logs in with; null for a card login or none stored. */
  secret: Pick<SecretCredential, 'mustChange' | 'expiresAt'> | null;
  now: Date;
  /** A temporary secret let this login in: only a secret of the user's own may follow. */
  temporarySecretUsed: boolean;
  answersStored: boolean;
  /** The personal-data step was completed in this login (it is asked until the account is active). */
  personalDone: boolean;
  /**
   * An optional passkey registration is offered last: an administrator's temporary code let this
   * login in (an assisted session, PSD2 RTS art. 24(2)), the account has no strong factor yet, and
   * the offer was not answered in this login.
   */
  offerPasskey?: boolean | undefined;
}

/** Pure: why the user's own secret must be chosen now, if it must. */
export function secretReason(state: Pick<ActionState, 'secret' | 'now' | 'temporarySecretUsed'>): ActionReason | null {
  if (state.temporarySecretUsed) return 'temporary_secret_used';
  if (state.secret?.mustChange) return 'password_must_change';
  if (state.secret?.expiresAt && state.secret.expiresAt.getTime() <= state.now.getTime()) return 'password_expired';
  return null;
}

/**
 * Pure: the actions still due, in the order they are asked. Outside registration only a new secret
 * can be due. During registration the configured steps come in their order, each skipped once its
 * result is stored, so an interrupted registration resumes where it stopped; a new secret that is due
 * while `password` is not a configured step comes first.
 */
export function dueActions(state: ActionState, steps: readonly RegistrationStep[]): DueAction[] {
  const passkey: DueAction[] = state.offerPasskey ? [{ action: 'enrol-passkey', reason: 'assisted_enrolment' }] : [];
  const secret = secretReason(state);
  if (!state.registering) return [...(secret ? [{ action: 'new-secret', reason: secret } as const] : []), ...passkey];
  const due: DueAction[] = secret && !steps.includes('password') ? [{ action: 'new-secret', reason: secret }] : [];
  for (const step of steps) {
    if (step === 'password' && secret) due.push({ action: 'new-secret', reason: secret });
    if (step === 'questions' && !state.answersStored) due.push({ action: 'security-questions', reason: 'security_questions_missing' });
    if (step === 'personal' && !state.personalDone) due.push({ action: 'personal-data', reason: 'registration_incomplete' });
  }
  return [...due, ...passkey];
}

export interface DueActionDependencies {
  credentials: Pick<CredentialRepository, 'find'>;
  securityAnswers: Pick<SecurityAnswerRepository, 'list'>;
  clock: Clock;
  config: Readonly<Pick<Config, 'registration' | 'securityQuestions'>>;
  /** To tell whether the account has a strong factor yet; without it no passkey is offered. */
  factors?: Pick<FactorCredentialRepository, 'listForAccount'> | undefined;
}

/** Reads the account's stored state and says which actions are due (`kind` null: a card login, no secret of its own). */
export async function findDueActions(
  deps: DueActionDependencies,
  request: { account: Account; kind: CredentialKind | null; temporarySecretUsed: boolean; personalDone: boolean; assistedEnrolment?: boolean | undefined; loadedSecret?: SecretCredential | null | undefined },
): Promise<DueAction[]> {
  const registering = request.account.status === 'pending_registration';
  // The credential the first factor just read spares a query when it is of the kind asked.
  const preloaded = request.loadedSecret && request.loadedSecret.kind === request.kind ? request.loadedSecret : undefined;
  const secret = request.kind ? (preloaded ?? (await deps.credentials.find(request.account.id, request.kind))) : null;
  const answersStored = registering && deps.config.registration.steps.includes('questions') ? (await deps.securityAnswers.list(request.account.id)).length >= deps.config.securityQuestions.count : true;
  const offerPasskey = request.assistedEnrolment === true && deps.factors !== undefined && (await deps.factors.listForAccount(request.account.id)).length === 0;
  return dueActions({ registering, secret, now: deps.clock.now(), temporarySecretUsed: request.kind !== null && request.temporarySecretUsed, answersStored, personalDone: request.personalDone, offerPasskey }, deps.config.registration.steps);
}

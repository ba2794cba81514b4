import type { Account, Locale } from '../domain/account.js';
import type { AccountRepository, AuditLog, SecurityAnswerRepository } from '../domain/ports.js';
import type { PasswordHasher } from '../domain/password-hasher.js';
import type { Config } from '../config/schema.js';
import type { Clock } from '../lib/clock.js';
import { GuichetError } from '../errors/codes.js';
import { answerProblem, DEFAULT_QUESTIONS, normaliseAnswer, type SecurityQuestion } from '../policy/security-questions.js';

/** Where the request came from, for the audit log. */
export interface RequestOrigin {
  clientId: string | null;
  ip: string | null;
  userAgent: string | null;
}

/** A refused field: the input's name and a message id of the setup catalogue with its parameters. */
export interface FieldProblem {
  field: string;
  id: string;
  params: Record<string, string>;
}

export type StepResult = { ok: true } | { ok: false; problems: FieldProblem[] };

export interface RegistrationDependencies {
  accounts: Pick<AccountRepository, 'update'>;
  securityAnswers: Pick<SecurityAnswerRepository, 'replace'>;
  hasher: PasswordHasher;
  clock: Clock;
  audit: AuditLog;
  config: Readonly<Pick<Config, 'securityQuestions'>>;
}

export const questionCatalogue = (config: Readonly<Pick<Config, 'securityQuestions'>>): readonly SecurityQuestion[] => config.securityQuestions.catalogue ?? DEFAULT_QUESTIONS;

/**
 * Stores the account's security questions: `count` different questions of the catalogue, each
 * answered; answers normalised (case, accents, spaces) then hashed with argon2id, all replaced at once.
 */
export async function chooseSecurityAnswers(deps: RegistrationDependencies, request: { account: Account; choices: { questionId: string; answer: string }[]; via: string; origin: RequestOrigin }): Promise<StepResult> {
  if (request.choices.length !== deps.config.securityQuestions.count) throw new GuichetError('bad_request', `${deps.config.securityQuestions.count} questions are asked`);
  const known = new Set(questionCatalogue(deps.config).map((q) => q.id));
  const problems: FieldProblem[] = [];
  const seen = new Set<string>();
  request.choices.forEach((choice, i) => {
    const n = String(i + 1);
    if (!known.has(choice.questionId)) problems.push({ field: `question_${n}`, id: 'setup.questions.unknown', params: { n } });
    else if (seen.has(choice.questionId)) problems.push({ field: `question_${n}`, id: 'setup.questions.duplicate', params: { n } });
    seen.add(choice.questionId);
    const problem = answerProblem(choice.answer);
    if (problem) problems.push({ field: `answer_${n}`, id: `setup.answer.${problem}`, params: { n } });
  });
  const audit = { action: 'security_answers.set', actor: `account:${request.account.id}`, accountId: request.account.id, ...request.origin };
  if (problems.length > 0) {
    await deps.audit.record({ ...audit, result: 'failure', reason: problems[0]!.id.replace(/^setup\./, ''), details: { via: request.via } });
    return { ok: false, problems };
  }
  const answers = await Promise.all(request.choices.map(async (c, i) => ({ position: i + 1, questionId: c.questionId, answerHash: await deps.hasher.hash(normaliseAnswer(c.answer)) })));
  await deps.securityAnswers.replace(request.account.id, answers, deps.clock.now());
  await deps.audit.record({ ...audit, result: 'success', details: { via: request.via, questions: answers.map((a) => a.questionId) } });
  return { ok: true };
}

/** Basic shape only (the address is confirmed by typing it twice, and later by a link): one @, a dot in the domain. */
const EMAIL = /^[^\s@]{1,64}@[^\s@.]+(\.[^\s@.]+)+$/;
const NAME_MAX = 200;

/**
 * The registration's personal data: the e-mail typed twice (one address per account, compared
 * without case), family name required, given name optional, preferred language.
 */
export async function savePersonalData(
  deps: RegistrationDependencies,
  request: { account: Account; email: string; emailConfirmation: string; familyName: string; givenName: string; locale: string; via: string; origin: RequestOrigin },
): Promise<StepResult> {
  const email = request.email.trim();
  const familyName = request.familyName.trim();
  const givenName = request.givenName.trim();
  const problems: FieldProblem[] = [];
  if (email.length > 254 || !EMAIL.test(email)) problems.push({ field: 'email', id: 'setup.personal.email_invalid', params: {} });
  else if (email.toLowerCase() !== request.emailConfirmation.trim().toLowerCase()) problems.push({ field: 'email_confirmation', id: 'setup.personal.email_mismatch', params: {} });
  if (familyName === '') problems.push({ field: 'family_name', id: 'setup.personal.family_name_missing', params: {} });
  else if (familyName.length > NAME_MAX) problems.push({ field: 'family_name', id: 'setup.personal.name_too_long', params: { n: String(NAME_MAX) } });
  if (givenName.length > NAME_MAX) problems.push({ field: 'given_name', id: 'setup.personal.name_too_long', params: { n: String(NAME_MAX) } });
  if (request.locale !== 'fr' && request.locale !== 'en') problems.push({ field: 'locale', id: 'setup.personal.locale_invalid', params: {} });
  const audit = { action: 'account.personal_data.set', actor: `account:${request.account.id}`, accountId: request.account.id, ...request.origin };
  if (problems.length === 0) {
    const sameAddress = request.account.email !== null && request.account.email.toLowerCase() === email.toLowerCase();
    const outcome = await deps.accounts.update(request.account.id, { email, emailVerified: sameAddress && request.account.emailVerified, familyName, givenName: givenName || null, locale: request.locale as Locale });
    if (outcome === 'email_taken') problems.push({ field: 'email', id: 'setup.personal.email_taken', params: {} });
    if (outcome === 'not_found') problems.push({ field: 'email', id: 'setup.personal.email_invalid', params: {} });
  }
  if (problems.length > 0) {
    await deps.audit.record({ ...audit, result: 'failure', reason: problems[0]!.id.replace(/^setup\.personal\./, ''), details: { via: request.via } });
    return { ok: false, problems };
  }
  await deps.audit.record({ ...audit, result: 'success', details: { via: request.via, givenName: givenName !== '', locale: request.locale } });
  return { ok: true };
}

/** The last registration step is done: the account becomes active. */
export async function completeRegistration(deps: Pick<RegistrationDependencies, 'accounts' | 'audit'>, request: { account: Account; origin: RequestOrigin }): Promise<void> {
  await deps.accounts.update(request.account.id, { status: 'active' });
  await deps.audit.record({ action: 'account.registration.completed', result: 'success', actor: `account:${request.account.id}`, accountId: request.account.id, ...request.origin });
}

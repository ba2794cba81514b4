import { createHmac } from 'node:crypto';
import type { Locale } from '../domain/account.js';

export interface SecurityQuestion {
  id: string;
  fr: string;
  en: string;
}

/**
 * Questions whose answers only the user knows and a bank does not hold (EBA Opinion on SCA
 * elements, para. 35: nothing from the customer file such as birth date or mother's name).
 */
export const DEFAULT_QUESTIONS: readonly SecurityQuestion[] = [
  { id: 'first-pet', fr: 'Quel était le nom de votre premier animal de compagnie ?', en: 'What was the name of your first pet?' },
  { id: 'childhood-friend', fr: 'Quel était le prénom de votre meilleur ami d’enfance ?', en: 'What was the first name of your best childhood friend?' },
  { id: 'first-teacher', fr: 'Quel était le nom de votre premier instituteur ou institutrice ?', en: 'What was the name of your first schoolteacher?' },
  { id: 'first-concert', fr: 'Quel artiste avez-vous vu lors de votre premier concert ?', en: 'Which artist did you see at your first concert?' },
  { id: 'childhood-street', fr: 'Dans quelle rue habitiez-vous à dix ans ?', en: 'On which street did you live when you were ten?' },
  { id: 'first-car', fr: 'Quelle était la marque de votre première voiture ?', en: 'What was the make of your first car?' },
  { id: 'favourite-book', fr: 'Quel livre vous a le plus marqué enfant ?', en: 'Which book marked you most as a child?' },
  { id: 'holiday-place', fr: 'Où avez-vous passé vos premières vacances sans vos parents ?', en: 'Where did you spend your first holiday without your parents?' },
  { id: 'first-job', fr: 'Quel était votre tout premier emploi ?', en: 'What was your very first job?' },
  { id: 'childhood-hero', fr: 'Quel était votre héros ou héroïne d’enfance ?', en: 'Who was your childhood hero?' },
];

export const questionText = (q: SecurityQuestion, locale: Locale): string => (locale === 'en' ? q.en : q.fr);

/**
 * Answers compare without case, accents, punctuation spacing or extra spaces ("  Rue de la Paix" =
 * "rue de la paix"): NFKD, combining marks removed, lower case, runs of spaces collapsed.
 */
export function normaliseAnswer(answer: string): string {
  return answer
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[\s\p{Zs}]+/gu, ' ')
    .trim();
}

/** Answers too short to be worth anything, or the question's own words, are refused. */
export function answerProblem(answer: string): 'too_short' | 'too_long' | null {
  const n = normaliseAnswer(answer);
  if ([...n].length < 2) return 'too_short';
  if ([...n].length > 100) return 'too_long';
  return null;
}

/**
 * A stable set of decoy questions for an identifier no account has: the same identifier gets the
 * same questions every time (so re-asking reveals nothing), drawn by a keyed hash so nobody can
 * predict them without the server key.
 */
export function decoyQuestions(catalogue: readonly SecurityQuestion[], count: number, identifierKey: string, serverKey: Buffer): SecurityQuestion[] {
  const ranked = catalogue
    .map((q) => ({ q, rank: createHmac('sha256', serverKey).update(`decoy\u0000${identifierKey}\u0000${q.id}`).digest('hex') }))
    .sort((a, b) => (a.rank < b.rank ? -1 : a.rank > b.rank ? 1 : 0));
  return ranked.slice(0, count).map((r) => r.q);
}

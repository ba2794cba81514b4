import type { Identifier } from '../domain/account.js';
import type { CompletedMethod, Level } from '../policy/assurance.js';

/** One login interaction's state, kept in the store under the oidc-provider interaction uid. */
export interface LoginFlow {
  uid: string;
  clientId: string;
  csrf: string;
  /** The authorization request that started it, to restart cleanly once the interaction expired. */
  restartUrl: string;
  identifier?: Identifier | undefined;
  completed: CompletedMethod[];
  accountId?: string | undefined;
  /** Waiting for the second factor of an SCA login; whether the first one passed is told only at the end. */
  pendingSecond?: boolean | undefined;
  /** The code factor stands alone (a card reader proves card and PIN): no first factor before it. */
  alone?: boolean | undefined;
  firstFactorPassed?: boolean | undefined;
  /** The level this request needs and why (step-up reason shown on the page). */
  required?: { level: Level; essential: boolean; reason: string } | undefined;
  /** The authentication methods already in the session when a step-up began (RFC 8176 values). */
  sessionAmr?: string[] | undefined;
  /** The scrambled keypad's current layout (slot → digit) and the digits typed so far, sealed. */
  keypad?: { layout: string; entered: string } | undefined;
  done: boolean;
}

export type Step = 'identify' | 'password' | 'pin' | 'code' | 'consent' | 'auto-consent' | 'done';

export interface StepEnvironment {
  /** oidc-provider's prompt for this interaction. */
  prompt: 'login' | 'consent' | string;
  firstParty: boolean;
  /** The simple factor this client's users log in with. */
  firstFactor: 'password' | 'pin' | 'card';
}

/** Pure: which page this flow shows next. Strong factors and required actions slot in here. */
export function nextStep(flow: LoginFlow, env: StepEnvironment): Step {
  if (flow.done) return 'done';
  if (env.prompt === 'consent') return env.firstParty ? 'auto-consent' : 'consent';
  if (flow.pendingSecond) return 'code';
  if (!flow.identifier) return 'identify';
  return env.firstFactor === 'card' ? 'code' : env.firstFactor;
}

import type { CompletedMethod } from '../policy/assurance.js';

/** One login interaction's state, kept in the store under the oidc-provider interaction uid. */
export interface LoginFlow {
  uid: string;
  clientId: string;
  csrf: string;
  /** The authorization request that started it, to restart cleanly once the interaction expired. */
  restartUrl: string;
  identifier?: string | undefined;
  completed: CompletedMethod[];
  accountId?: string | undefined;
  done: boolean;
}

export type Step = 'identify' | 'password' | 'consent' | 'auto-consent' | 'done';

export interface StepEnvironment {
  /** oidc-provider's prompt for this interaction. */
  prompt: 'login' | 'consent' | string;
  firstParty: boolean;
}

/** Pure: which page this flow shows next. Strong factors and required actions slot in here. */
export function nextStep(flow: LoginFlow, env: StepEnvironment): Step {
  if (flow.done) return 'done';
  if (env.prompt === 'consent') return env.firstParty ? 'auto-consent' : 'consent';
  if (!flow.identifier) return 'identify';
  return 'password';
}

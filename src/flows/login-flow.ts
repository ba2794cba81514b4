import type { Identifier } from '../domain/account.js';
import type { AssertionState } from '../authenticators/webauthn/webauthn-authenticator.js';
import type { CompletedMethod, Level } from '../policy/assurance.js';
import type { DueAction, RequiredAction } from './required-actions.js';
import type { CapRequest } from '../authenticators/emv-cap/cap-request.js';

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
  /** A temporary secret passed the first factor: the user must choose their own before the login ends. */
  temporarySecretUsed?: boolean | undefined;
  /**
   * Whose temporary secret let this login in: an administrator's (`admin`: an assisted session, where
   * a first passkey may be associated, PSD2 RTS art. 24(2)) or an e-mailed one (`recovery`: remote,
   * no SCA, so never). Set with each first factor; kept after the new secret is chosen.
   */
  temporarySecretPurpose?: 'admin' | 'recovery' | undefined;
  /** The `enrol-passkey` step was answered in this login (a passkey registered, or skipped). */
  passkeyOfferDone?: boolean | undefined;
  /** The server's half of the `enrol-passkey` registration shown, single use (RegistrationChallenge). */
  passkeyRegistration?: { challenge: string; accountId: string; userHandle: string; expiresAt: number } | undefined;
  /**
   * Every factor is done and these remain before the login ends (first one shown next); computed
   * from stored state after the last factor and after each action (`src/flows/required-actions.ts`).
   */
  actions?: DueAction[] | undefined;
  /** The `amr` the login will end with once the actions are done. */
  loginAmr?: string[] | undefined;
  /** The registration's personal-data step was completed in this login. */
  personalDone?: boolean | undefined;
  /**
   * A passkey ceremony under way (page `passkey`): `login` (usernameless, the passkey alone) or
   * `second` (instead of the code); the options sent to the browser and the server's half of the
   * challenge, single use, with its expiry.
   */
  passkey?: { purpose: 'login' | 'second'; options: Record<string, unknown>; state: AssertionState } | undefined;
  /**
   * What the card reader was asked for on the code page (EMV-CAP.md §6.5): the mode and its data,
   * for which purpose (`codePurpose`: the login, or these authorization details), and when. A card
   * code is verified against this record only, once: a code made in another mode or for other data
   * is refused.
   */
  capRequest?: IssuedCapRequest | undefined;
  done: boolean;
}

/** A card-reader request shown to the user: `issuedAt` in ms of the injected clock. */
export interface IssuedCapRequest {
  request: CapRequest;
  purpose: string;
  issuedAt: number;
}

export type Step = 'identify' | 'password' | 'pin' | 'code' | 'passkey' | RequiredAction | 'consent' | 'auto-consent' | 'done';

export interface StepEnvironment {
  /** oidc-provider's prompt for this interaction. */
  prompt: 'login' | 'consent' | string;
  firstParty: boolean;
  /** The simple factor this client's users log in with. */
  firstFactor: 'password' | 'pin' | 'card';
}

/** Pure: which page this flow shows next. Strong factors slot in here. */
export function nextStep(flow: LoginFlow, env: StepEnvironment): Step {
  if (flow.done) return 'done';
  if (env.prompt === 'consent') return env.firstParty ? 'auto-consent' : 'consent';
  if (flow.passkey) return 'passkey';
  if (flow.pendingSecond) return 'code';
  const action = flow.actions?.[0];
  if (action && flow.accountId) return action.action;
  if (!flow.identifier) return 'identify';
  return env.firstFactor === 'card' ? 'code' : env.firstFactor;
}

import type { Config } from '../config/schema.js';
import type { ClientRecord } from '../domain/client.js';
import type { SimpleFactor } from '../flows/first-factor.js';
import type { IdentifierScheme } from '../flows/identifier.js';

/** Per-client login settings (client metadata) over the deployment's. */
export function loginSettings(config: Readonly<Config>, client: ClientRecord | null) {
  const meta = client?.metadata ?? {};
  const schemes = Array.isArray(meta.guichet_identifier_schemes) ? (meta.guichet_identifier_schemes.filter((s) => s === 'username' || s === 'subscription') as IdentifierScheme[]) : [];
  const factor = meta.guichet_first_factor === 'pin' || meta.guichet_first_factor === 'password' || meta.guichet_first_factor === 'card' ? meta.guichet_first_factor : config.login.firstFactor;
  const keypad = typeof meta.guichet_scrambled_keypad === 'boolean' ? meta.guichet_scrambled_keypad : config.login.scrambledKeypad;
  return { schemes: schemes.length > 0 ? schemes : [...config.login.identifierSchemes], firstFactor: factor as SimpleFactor | 'card', keypad };
}


import { fromHex, toHex } from '../bytes.js';
import { capProfile, type CapProfile, type CapProfileName } from '../cap-profile.js';
import type { IccKeySource } from '../card-key-operations.js';
import { deriveIccKey } from '../derive-icc-key.js';
import type { SimulatedCardState } from './simulated-card.js';

/**
 * A public test issuer master key (pyemv's, EMV-CAP.md §9.2 K2). With the default PAN
 * 1234567890123456 and PSN 00 it gives the ICC key of K10, used by the composite vectors of §9.8.
 * Demo and tests only: anyone can compute every code of a card under this key.
 */
export const DEMO_ISSUER_KEY_ID = 'demo';
export const DEMO_ISSUER_KEY = '0123456789ABCDEFFEDCBA9876543210';

export interface DemoCardOptions {
  pan?: string;
  psn?: string | null;
  pin?: string;
  profile?: CapProfileName | CapProfile;
  /** The card's last used ATC; the next session uses atc + 1. */
  atc?: number;
  /** `issuer`: the server derives the ICC key from the demo issuer key; `imported`: it holds the ICC key. */
  keySource?: 'issuer' | 'imported';
  lastOnlineNotCompleted?: boolean;
  responseFormat?: 1 | 2;
}

/** A personalised software card and the matching enrolment, for the demo, the `cap-reader` command and tests. */
export function createDemoCard(options: DemoCardOptions = {}): {
  card: SimulatedCardState;
  enrolment: { pan: string; psn: string | null; key: IccKeySource; profile: CapProfile; lastAtc: number };
  issuerKeys: Record<string, string>;
} {
  const pan = options.pan ?? '1234567890123456';
  const psn = options.psn === undefined ? '00' : options.psn;
  const profile = typeof options.profile === 'object' ? structuredClone(options.profile) : capProfile(options.profile ?? 'visa-cvn10-uk');
  const iccKey = toHex(deriveIccKey(fromHex(DEMO_ISSUER_KEY), { pan, psn }, 'A'));
  const [state] = profile.cardStates;
  if (!state) throw new Error('the profile lists no card state');
  const mastercard = profile.cvrFormat === 'mastercard';
  const cvrTemplate = state.cvr ?? (mastercard ? state.iad.slice(4, 16) : state.iad.slice(6, 14));
  const pinTryLimit = mastercard ? fromHex(cvrTemplate)[2]! & 0x0f || 3 : 3;
  const atc = options.atc ?? 0x10;
  const { aip, cdol1, cdol2, keyScheme, padding, macData, macTail, cvrFormat, ipb, iaf } = profile;
  const card: SimulatedCardState = {
    aid: cvrFormat === 'visa' ? 'A0000000038002' : 'A0000000048002',
    label: cvrFormat === 'visa' ? 'VisaRemAuthen' : 'SecureCode Aut',
    pan,
    psn,
    iccKey,
    profile: { aip, cdol1, cdol2, keyScheme, padding, macData, macTail, cvrFormat, ipb, iaf },
    iad: state.iad,
    ...(state.cvr === undefined ? {} : { cvr: state.cvr }),
    pin: options.pin ?? '1234',
    pinTryLimit,
    pinTries: pinTryLimit,
    atc,
    lastOnlineNotCompleted: options.lastOnlineNotCompleted ?? false,
    responseFormat: options.responseFormat ?? 2,
  };
  const key: IccKeySource = options.keySource === 'imported' ? { kind: 'imported', key: iccKey } : { kind: 'issuer', issuerKeyId: DEMO_ISSUER_KEY_ID, derivation: 'A' };
  return { card, enrolment: { pan, psn, key, profile, lastAtc: atc }, issuerKeys: { [DEMO_ISSUER_KEY_ID]: DEMO_ISSUER_KEY } };
}

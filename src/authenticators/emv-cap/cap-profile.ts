import type { KeyScheme } from './derive-session-key.js';
import type { PaddingMethod } from './pad-message.js';

/**
 * What goes after T-data‖AIP‖ATC in the MAC input (EMV-CAP.md §4.2):
 * `visa-cvr` the 4-byte CVR at IAD[3..7] (Visa CVN 10); `iad` the whole IAD (Visa 18, Interac 133);
 * `mc-cvr` the 6-byte CVR at IAD[2..8] (MC 16/20); `mc-cvr-counters` that CVR and the 8 counter
 * bytes at IAD[10..18] (MC 17/21); `separate-cvr` a CVR that the card MACs but does not return in
 * its IAD (the emvlab.org calculator and the Thales soft-CAP "ICC data" template).
 */
export type MacTail = 'visa-cvr' | 'iad' | 'mc-cvr' | 'mc-cvr-counters' | 'separate-cvr';

/** How to read the card verification results (EMV-CAP.md §4.3). */
export type CvrFormat = 'visa' | 'mastercard';

/** What the card is personalised with, and the issuer knows (EMV-CAP.md §5.1). */
export interface CapCardProfile {
  /** Application interchange profile (82), 2 bytes hex, MACed. */
  aip: string;
  /** CDOL1 (8C) and CDOL2 (8D) templates, hex tag‖length pairs. */
  cdol1: string;
  cdol2: string;
  keyScheme: KeyScheme;
  padding: PaddingMethod;
  /**
   * `terminal-data`: the standard CVNs MAC only the eight T-data values, whatever else CDOL1 asks;
   * `all-cdol1`: an issuer CVN that MACs all CDOL1 data [OPEN §4.2, §10.3]; a per-profile choice.
   */
  macData: 'terminal-data' | 'all-cdol1';
  macTail: MacTail;
  cvrFormat: CvrFormat;
  /** Issuer proprietary bitmap (9F56), hex. */
  ipb: string;
  /** Issuer authentication flags (9F55): 0x80 amount used in mode 1, 0x40 PSN in the buffer, 0x20 amount only. */
  iaf: number;
}

/**
 * The constant "terminal" values of the reader model issued to the user (EMV-CAP.md §5.3). The date
 * differs by reader family [OPEN §10.6]: `000000` (MasterCard CAP) or `010101` (Visa DPA, Barclays).
 */
export interface CapReaderProfile {
  date: string;
  tvr: string;
  country: string;
  terminalType: string;
  cvmResults: string;
  terminalCapabilities: string;
  /** Authorisation response code sent with the cancelling second GENERATE AC: `5A33` ("Z3"). */
  arc: string;
}

/** An IAD the card may return (and, with `separate-cvr`, the CVR it MACs). */
export interface CardState {
  iad: string;
  cvr?: string;
}

/**
 * The server's view of a card model: card and reader parameters, and the card states it accepts.
 * Only states showing "offline PIN performed and successful" may be listed (EMV-CAP.md §6.7); the
 * list is the CVR candidate set of §4.3 and §10.5, and its size multiplies the false-accept rate.
 */
export interface CapProfile extends CapCardProfile {
  reader: CapReaderProfile;
  cardStates: readonly CardState[];
}

export const MASTERCARD_CAP_READER: CapReaderProfile = { date: '000000', tvr: '8000000000', country: '0000', terminalType: '34', cvmResults: '010002', terminalCapabilities: '208000', arc: '5A33' };
export const VISA_DPA_READER: CapReaderProfile = { ...MASTERCARD_CAP_READER, date: '010101' };

const T_DATA_CDOL = '9F02069F03069F1A0295055F2A029A039C019F3704';

/** The cryptogram versions of EMV-CAP.md §4.2 whose IAD layout is known, by name. */
export const CRYPTOGRAM_VERSIONS = {
  'visa-10': { keyScheme: { kind: 'none' }, padding: 1, macTail: 'visa-cvr', cvrFormat: 'visa' },
  'visa-18': { keyScheme: { kind: 'common' }, padding: 2, macTail: 'iad', cvrFormat: 'visa' },
  'mc-16': { keyScheme: { kind: 'mastercard' }, padding: 2, macTail: 'mc-cvr', cvrFormat: 'mastercard' },
  'mc-17': { keyScheme: { kind: 'mastercard' }, padding: 2, macTail: 'mc-cvr-counters', cvrFormat: 'mastercard' },
  'mc-20': { keyScheme: { kind: 'common' }, padding: 2, macTail: 'mc-cvr', cvrFormat: 'mastercard' },
  'mc-21': { keyScheme: { kind: 'common' }, padding: 2, macTail: 'mc-cvr-counters', cvrFormat: 'mastercard' },
} as const satisfies Record<string, Pick<CapCardProfile, 'keyScheme' | 'padding' | 'macTail' | 'cvrFormat'>>;

export type CryptogramVersion = keyof typeof CRYPTOGRAM_VERSIONS;

/**
 * Reads the CVN from an IAD seen in a real response (EMV-CAP.md §10.4: pin it at enrolment): a Visa
 * IAD starts with its length byte 06 and has the CVN in byte 3; a MasterCard IAD has it in byte 2.
 */
export function readCryptogramVersion(iad: Uint8Array): CryptogramVersion | null {
  const name = iad[0] === 0x06 && iad.length >= 7 ? `visa-${iad[2]}` : `mc-${iad[1]}`;
  return name in CRYPTOGRAM_VERSIONS ? (name as CryptogramVersion) : null;
}

/**
 * Card models to start from. They reuse layouts seen in real traces (EMV-CAP.md §5.4, §9.5, §9.7,
 * §9.8); an issuer's real profile must come from the issuer (§10.1).
 */
export const CAP_PROFILES = {
  /** UK-style Visa CVN 10 card with a PINsentry-style reader: the composite vectors of §9.8. */
  'visa-cvn10-uk': {
    ...CRYPTOGRAM_VERSIONS['visa-10'],
    aip: '1000',
    cdol1: T_DATA_CDOL,
    cdol2: `8A02${T_DATA_CDOL}`,
    macData: 'terminal-data',
    ipb: '00001F00000000000FFFFF00000000008000',
    iaf: 0xa0,
    reader: VISA_DPA_READER,
    // CVR byte 3 bit 8 ("last online transaction not completed") is set after every CAP session,
    // since the second AC declines; the IPB shows that bit, so both states cost nothing (§4.3).
    cardStates: [{ iad: '06010A03A48000' }, { iad: '06010A03A40000' }],
  },
  /** Dutch-style MasterCard CVN 16 card: PSN in the buffer (IAF C0), Rabobank IPB, extra CDOL1 tags. */
  'mastercard-cvn16-nl': {
    ...CRYPTOGRAM_VERSIONS['mc-16'],
    aip: '1000',
    cdol1: `${T_DATA_CDOL}9F35019F3403`,
    cdol2: `8A02${T_DATA_CDOL}`,
    macData: 'terminal-data',
    ipb: '0700007FFFFF000000000000',
    iaf: 0xc0,
    reader: MASTERCARD_CAP_READER,
    cardStates: [{ iad: '0C10A50003040000000000000000000000FF' }],
  },
  /** The emvlab.org calculator's card (§9.7): EMV2000 tree b=4 H=8, separate CVR, NatWest IPB. */
  'emv2000-tree-emvlab': {
    keyScheme: { kind: 'tree', branch: 4, height: 8, iv: '00000000000000000000000000000000' },
    padding: 2,
    macTail: 'separate-cvr',
    cvrFormat: 'mastercard',
    aip: '1000',
    cdol1: T_DATA_CDOL,
    cdol2: `8A02${T_DATA_CDOL}`,
    macData: 'all-cdol1',
    ipb: '00001F00000000000FFFFF00000000008000',
    iaf: 0xa0,
    reader: MASTERCARD_CAP_READER,
    cardStates: [{ iad: '06770A03A48000', cvr: 'A50006040000' }],
  },
} as const satisfies Record<string, CapProfile>;

export type CapProfileName = keyof typeof CAP_PROFILES;

/** A mutable deep copy of a preset, to adjust and store. */
export const capProfile = (name: CapProfileName): CapProfile => structuredClone(CAP_PROFILES[name]) as CapProfile;

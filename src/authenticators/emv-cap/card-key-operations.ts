import type { IccKeyDerivation } from './derive-icc-key.js';
import type { KeyScheme } from './derive-session-key.js';
import type { PaddingMethod } from './pad-message.js';

/**
 * Where a card's ICC master key MK_AC comes from (EMV-CAP.md §3.1, §6.1): `imported` carries the
 * key itself (or, with an HSM, a key block under its storage key), sealed at rest with the rest of the
 * card record; `issuer` names an issuer master key IMK_AC that the key operations hold, from which
 * MK_AC is derived by option A or B.
 */
export type IccKeySource = { kind: 'imported'; key: string } | { kind: 'issuer'; issuerKeyId: string; derivation: IccKeyDerivation };

/** An opaque reference to a key held by the implementation; raw key bytes never cross this port. */
export interface CardKeyHandle {
  readonly kind: 'card-key';
}

/**
 * The key operations the CAP verifier needs, small enough for an HSM to implement (EMV-CAP.md §6.9,
 * [OPEN §10.8]). Generic HSM "verify ARQC" calls need the full 8-byte AC, which a CAP code does not
 * carry, so the port generates the AC and the verifier compares the IPB-selected bits.
 */
export interface CardKeyOperations {
  deriveIccKey(source: IccKeySource, card: { pan: string; psn: string | null }): Promise<CardKeyHandle>;
  deriveSessionKey(iccKey: CardKeyHandle, scheme: KeyScheme, input: { atc: number; un: Buffer }): Promise<CardKeyHandle>;
  /** ISO/IEC 9797-1 MAC algorithm 3, all 8 bytes. */
  mac(key: CardKeyHandle, data: Buffer, padding: PaddingMethod): Promise<Buffer>;
  /** KCV (3 bytes, hex) to confirm a key with its custodian at enrolment. */
  checkValue(key: CardKeyHandle): Promise<string>;
}

import { z } from 'zod';
import { CAP_PROFILES, capProfile, type CapProfile, type CapProfileName } from './cap-profile.js';
import type { CapEnrolment } from './enrol-cap-card.js';

const hex = (bytes?: number) => z.string().regex(bytes ? new RegExp(`^[0-9A-Fa-f]{${bytes * 2}}$`) : /^(?:[0-9A-Fa-f]{2})+$/, bytes ? `${bytes} bytes in hex` : 'hex');

export const CAP_PROFILE_PRESETS = Object.keys(CAP_PROFILES) as [CapProfileName, ...CapProfileName[]];

/** A card model written out (EMV-CAP.md §5.1, §5.3): its contents are checked by the enrolment. */
const capProfileObject = z.strictObject({
  aip: z.string(),
  cdol1: z.string(),
  cdol2: z.string(),
  keyScheme: z.union([z.strictObject({ kind: z.enum(['none', 'common', 'mastercard']) }), z.strictObject({ kind: z.literal('tree'), branch: z.number().int(), height: z.number().int(), iv: z.string() })]),
  padding: z.union([z.literal(1), z.literal(2)]),
  macData: z.enum(['terminal-data', 'all-cdol1']),
  macTail: z.enum(['visa-cvr', 'iad', 'mc-cvr', 'mc-cvr-counters', 'separate-cvr']),
  cvrFormat: z.enum(['visa', 'mastercard']),
  ipb: z.string(),
  iaf: z.number().int().min(0).max(255),
  reader: z.strictObject({ date: z.string(), tvr: z.string(), country: z.string(), terminalType: z.string(), cvmResults: z.string(), terminalCapabilities: z.string(), arc: z.string() }),
  cardStates: z.array(z.strictObject({ iad: z.string(), cvr: z.string().optional() })).min(1).max(8),
});

/**
 * An administrator's card enrolment (EMV-CAP.md §6.1), the same fields for the admin API's body and
 * `guichet cap enrol`: the card record, and its ICC key imported or named by the issuer master key it
 * derives from. `kcv` is the custodian's key check value: the enrolment fails unless the key matches.
 */
export const capCardImport = z.strictObject({
  pan: z.string().regex(/^\d{12,19}$/, '12 to 19 digits'),
  psn: z.string().regex(/^\d{2}$/, 'two digits').nullable().default(null),
  key: z.discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('imported'), key: hex(16) }),
    z.strictObject({ kind: z.literal('issuer'), issuerKeyId: z.string().min(1).max(64), derivation: z.enum(['A', 'B']).default('A') }),
  ]),
  profile: z.union([z.enum(CAP_PROFILE_PRESETS), capProfileObject]),
  lastAtc: z.number().int().min(0).max(65534).nullable().default(null),
  kcv: z.string().regex(/^(?:[0-9A-Fa-f]{4}|[0-9A-Fa-f]{6})$/, '2 or 3 bytes in hex').optional(),
  label: z.string().trim().min(1).max(100).optional(),
});
export type CapCardImport = z.infer<typeof capCardImport>;

/** The enrolment of a parsed import: a preset profile is copied, so that nothing shares the table's objects. */
export const toCapEnrolment = (accountId: string, card: CapCardImport): CapEnrolment => ({
  accountId,
  pan: card.pan,
  psn: card.psn,
  key: card.key,
  profile: typeof card.profile === 'string' ? capProfile(card.profile) : (card.profile as CapProfile),
  lastAtc: card.lastAtc,
  expectedKcv: card.kcv,
  label: card.label ?? null,
});

/** How a PAN is shown and audited: its last four digits only. */
export const maskPan = (pan: string): string => `•••• ${pan.slice(-4)}`;

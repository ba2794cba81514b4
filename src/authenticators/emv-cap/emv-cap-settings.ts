import { z } from 'zod';

/**
 * Settings of the EMV-CAP factor, for the configuration schema (`emvCap: { enabled, … }`).
 * Every [OPEN] choice of EMV-CAP.md that is not per card lives here, with its default.
 */
export const emvCapSettingsSchema = z.object({
  enabled: z.boolean().default(false).describe('Offer card-reader codes (EMV-CAP / Visa DPA).'),
  /** EMV-CAP.md §6.4; absent: 2^(ATC bits in the IPB), capped at 256, per card. */
  window: z.number().int().min(1).max(4096).optional().describe('ATC look-ahead after the last accepted code; default per card from its IPB (§6.4).'),
  resynchronisation: z
    .object({
      enabled: z.boolean().default(true).describe('Accept two consecutive Identify codes over a larger window when the card ran ahead (§6.4).'),
      window: z.number().int().min(16).max(65535).default(4096).describe('ATCs searched for the first of the two codes (2^12 by default).'),
      maxGap: z.number().int().min(1).max(16).default(3).describe('How far after the first code the second may be.'),
    })
    .default({ enabled: true, window: 4096, maxGap: 3 }),
  /** §6.5: prefer Respond (server challenge) for login; Identify has no server freshness (pre-play). */
  loginMode: z.enum(['respond', 'identify']).default('respond').describe('Mode asked for at login.'),
  /**
   * How a transaction is signed (CAP-03, dynamic linking): `tds` = mode 2 with the amount and payee
   * digits as TDS fields; `respond-with-amount` = mode 1 with the amount in 9F02 and a fresh
   * challenge (IAF b8 cards, the UK "Sign").
   */
  signMode: z.enum(['tds', 'respond-with-amount']).default('tds').describe('Mode asked for to approve a transaction.'),
  /** §5.5 allows 10 digits per TDS field; which payee digits to show is [OPEN §10.9]: the last ones. */
  payeeDigits: z.number().int().min(4).max(10).default(10).describe('Payee digits (the last ones of the payee reference) signed in TDS mode.'),
  /** §10.12: IPBs giving more digits are refused at enrolment. */
  maxDigits: z.number().int().min(6).max(10).default(8).describe('Longest code a card may produce.'),
});

export type EmvCapSettings = z.infer<typeof emvCapSettingsSchema>;

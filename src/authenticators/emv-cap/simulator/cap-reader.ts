import { fromHex, toHex } from '../bytes.js';
import type { CapReaderProfile } from '../cap-profile.js';
import type { CapRequest } from '../cap-request.js';
import { computeTdsMac } from '../compute-tds-mac.js';
import { fillDol, parseDol } from '../data-object-list.js';
import { buildCapBuffer, countIpbBits, extractCapCode, ipbFits } from '../extract-cap-code.js';
import { capTerminalValues } from '../fill-cdol.js';
import { parseGenerateAcResponse } from '../generate-ac-response.js';
import { findTlv, parseTlv, type Tlv } from '../tlv.js';
import { encodeCommand, splitResponse, SW_OK } from './apdu.js';

/** Anything that exchanges APDUs with a card: the simulated card, or a PC/SC reader. */
export interface CardChannel {
  transmit(apdu: Uint8Array): Buffer | Promise<Buffer>;
}

export type CapReaderResult =
  | { kind: 'code'; code: string }
  | { kind: 'refused'; reason: 'no_application' | 'wrong_pin' | 'pin_blocked' | 'card_blocked' | 'declined' | 'unsupported_card' | 'card_error'; triesLeft?: number };

export interface CapReaderOptions {
  reader: CapReaderProfile;
  /** AIDs tried in order: MasterCard CAP, Visa DPA by default. */
  aids?: readonly string[];
  /** Longest code shown; cards whose IPB gives more are refused, as the Vasco reader refuses maestro_lu (§9.5 C12). */
  maxDigits?: number;
  /** Show leading zeros up to this many digits (Rabobank readers show 8; UK readers none). */
  padDigits?: number;
  /** false makes a rogue reader that skips VERIFY: the card still answers (§5.7); for negative tests only. */
  verifyPin?: boolean;
}

export const CAP_AIDS = ['A0000000048002', 'A0000000038002'] as const;

class CardError extends Error {
  constructor(readonly sw: number) {
    super(`card answered ${sw.toString(16)}`);
  }
}

/**
 * A CAP/DPA reader (EMV-CAP.md §0, §5.2–5.5): selects the application, verifies the PIN offline in
 * the card, asks for an ARQC with CDOL1 filled for the mode, cancels with an AAC, then applies the
 * TDS MAC (sign mode) and the IPB to show the code. It computes nothing with card keys.
 */
export function createCapReader(options: CapReaderOptions) {
  const aids = options.aids ?? CAP_AIDS;
  const maxDigits = options.maxDigits ?? 8;

  return {
    async generateCode(card: CardChannel, input: { pin: string; request: CapRequest }): Promise<CapReaderResult> {
      const exchange = async (apdu: Buffer): Promise<Buffer> => {
        const { data, sw } = splitResponse(await card.transmit(apdu));
        if (sw !== SW_OK) throw new CardError(sw);
        return data;
      };
      try {
        let fci: Tlv[] | null = null;
        for (const aid of aids) {
          const { data, sw } = splitResponse(await card.transmit(encodeCommand(0x00, 0xa4, 0x04, 0x00, fromHex(aid))));
          if (sw === SW_OK) {
            fci = parseTlv(data);
            break;
          }
        }
        if (!fci) return { kind: 'refused', reason: 'no_application' };
        const terminal = capTerminalValues(options.reader, 0, { mode: 'identify' });
        const pdol = findTlv(fci, '9F38');
        const pdolData = pdol ? fillDol(parseDol(toHex(pdol)), terminal) : Buffer.alloc(0);
        let gpo: Buffer;
        try {
          gpo = await exchange(encodeCommand(0x80, 0xa8, 0x00, 0x00, Buffer.concat([Buffer.from([0x83, pdolData.length]), pdolData])));
        } catch (e) {
          if (e instanceof CardError && e.sw === 0x6985) return { kind: 'refused', reason: 'card_blocked' };
          throw e;
        }
        const [gpoTlv] = parseTlv(gpo);
        const afl = gpoTlv?.tag === '80' ? gpoTlv.value.subarray(2) : gpoTlv?.children ? (findTlv(gpoTlv.children, '94') ?? Buffer.alloc(0)) : Buffer.alloc(0);
        const records: Tlv[] = [...fci];
        for (let i = 0; i + 4 <= afl.length; i += 4) {
          for (let rec = afl[i + 1]!; rec <= afl[i + 2]!; rec++) records.push(...parseTlv(await exchange(encodeCommand(0x00, 0xb2, rec, (afl[i]! & 0xf8) | 0x04))));
        }
        const cdol1 = findTlv(records, '8C');
        const cdol2 = findTlv(records, '8D');
        const ipb = findTlv(records, '9F56');
        const iaf = findTlv(records, '9F55')?.[0] ?? 0;
        const psn = findTlv(records, '5F34');
        if (!cdol1 || !cdol2 || !ipb || 2n ** BigInt(countIpbBits(ipb)) > 10n ** BigInt(maxDigits)) return { kind: 'refused', reason: 'unsupported_card' };

        if (options.verifyPin !== false) {
          if (!/^\d{4,12}$/.test(input.pin)) return { kind: 'refused', reason: 'wrong_pin' };
          const block = Buffer.from(`2${input.pin.length.toString(16)}${input.pin}`.padEnd(16, 'F'), 'hex');
          const { sw } = splitResponse(await card.transmit(encodeCommand(0x00, 0x20, 0x00, 0x80, block, false)));
          if (sw === 0x6983) return { kind: 'refused', reason: 'pin_blocked' };
          if ((sw & 0xfff0) === 0x63c0) return { kind: 'refused', reason: 'wrong_pin', triesLeft: sw & 0x0f };
          if (sw !== SW_OK) throw new CardError(sw);
        }

        const values = capTerminalValues(options.reader, iaf, input.request);
        const first = parseGenerateAcResponse(await exchange(encodeCommand(0x80, 0xae, 0x80, 0x00, fillDol(parseDol(toHex(cdol1)), values))));
        await exchange(encodeCommand(0x80, 0xae, 0x00, 0x00, fillDol(parseDol(toHex(cdol2)), values)));
        if (first.cid !== 0x80) return { kind: 'refused', reason: 'declined' };

        const ac = input.request.mode === 'sign' ? computeTdsMac(first.ac, input.request.fields) : first.ac;
        const buffer = buildCapBuffer({ psn: psn ? toHex(psn) : null, iaf, cid: first.cid, atc: first.atc, ac, iad: first.iad });
        if (!ipbFits(ipb, buffer.length)) return { kind: 'refused', reason: 'unsupported_card' };
        return { kind: 'code', code: extractCapCode(buffer, ipb).toString().padStart(options.padDigits ?? 0, '0') };
      } catch (e) {
        if (e instanceof CardError) return { kind: 'refused', reason: 'card_error' };
        throw e;
      }
    },
  };
}

export type CapReader = ReturnType<typeof createCapReader>;

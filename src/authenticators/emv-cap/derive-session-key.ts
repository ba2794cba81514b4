import { encryptTdes } from './des.js';
import { adjustParity } from './adjust-parity.js';
import { fromHex, uint16, xorBytes } from './bytes.js';

/**
 * How the card turns MK_AC into the AC session key (EMV-CAP.md §3.2), fixed by its CVN:
 * `none` (Visa CVN 10, UKIS), `common` (EMV CSK, R = ATC‖0⁶: Visa 18/22, MC 20/21),
 * `mastercard` (M/Chip SKD, R = ATC‖0000‖UN: MC 16/17, Interac 133), `tree` (EMV2000, withdrawn).
 */
export type KeyScheme =
  | { kind: 'none' }
  | { kind: 'common' }
  | { kind: 'mastercard' }
  | { kind: 'tree'; branch: number; height: number; iv: string };

/** The EMV common session key derivation for any 8-byte diversification value R. */
export function deriveCommonSessionKey(masterKey: Uint8Array, r: Uint8Array): Buffer {
  if (r.length !== 8) throw new Error('R is 8 bytes');
  const left = Buffer.from(r);
  const right = Buffer.from(r);
  left[2] = 0xf0;
  right[2] = 0x0f;
  return adjustParity(Buffer.concat([encryptTdes(masterKey, left), encryptTdes(masterKey, right)]));
}

/** EMV2000 tree (EMV 4.1 Book 2 A1.3): F(X, Y, j) and the intermediate keys IK(level, index), memoised. */
export function deriveTreeSessionKey(masterKey: Uint8Array, atc: number, tree: { branch: number; height: number; iv: string }): Buffer {
  const { branch: b, height: h } = tree;
  if (b < 2 || h < 1) throw new Error('tree branch factor must be at least 2 and height at least 1');
  const iv = fromHex(tree.iv);
  if (iv.length !== 16) throw new Error('tree IV is 16 bytes');
  const f = (x: Buffer, y: Buffer, j: number): Buffer => {
    const c = Buffer.alloc(8);
    c.writeUInt32BE(j % b, 4);
    const cr = Buffer.from(c);
    cr[7] = cr[7]! ^ 0xf0;
    return Buffer.concat([encryptTdes(x, xorBytes(y.subarray(0, 8), c)), encryptTdes(x, xorBytes(y.subarray(8, 16), cr))]);
  };
  const memo = new Map<string, Buffer>();
  const ik = (level: number, j: number): Buffer => {
    if (level === 0) return Buffer.from(masterKey);
    if (level === -1) return iv;
    const id = `${level}:${j}`;
    let key = memo.get(id);
    if (!key) {
      key = f(ik(level - 1, Math.floor(j / b)), ik(level - 2, Math.floor(j / b ** 2)), j);
      memo.set(id, key);
    }
    return key;
  };
  const grand = ik(h - 2, Math.floor(atc / b ** 2));
  return adjustParity(xorBytes(f(ik(h - 1, Math.floor(atc / b)), grand, atc), grand));
}

/** SK_AC for one transaction; `un` (9F37 as sent) only matters to the MasterCard SKD. */
export function deriveSessionKey(masterKey: Uint8Array, scheme: KeyScheme, input: { atc: number; un: Uint8Array }): Buffer {
  switch (scheme.kind) {
    case 'none':
      return Buffer.from(masterKey);
    case 'common':
      return deriveCommonSessionKey(masterKey, Buffer.concat([uint16(input.atc), Buffer.alloc(6)]));
    case 'mastercard':
      if (input.un.length !== 4) throw new Error('the MasterCard SKD needs the 4-byte unpredictable number');
      return deriveCommonSessionKey(masterKey, Buffer.concat([uint16(input.atc), Buffer.alloc(2), input.un]));
    case 'tree':
      return deriveTreeSessionKey(masterKey, input.atc, scheme);
  }
}

import { createCipheriv, createDecipheriv } from 'node:crypto';

/**
 * DES and two-key triple DES (EDE) on 8-byte blocks (EMV-CAP.md §2.1). OpenSSL 3 moved single DES
 * (`des-ecb`) to the legacy provider, so single DES is run as `des-ede3` with K‖K‖K: EDE with three
 * equal keys is exactly one DES. Two-key TDES is `des-ede3` with KL‖KR‖KL.
 */

const BLOCK = 8;

function run(decrypt: boolean, mode: 'ecb' | 'cbc', key24: Buffer, data: Buffer): Buffer {
  if (data.length === 0 || data.length % BLOCK !== 0) throw new Error('DES data must be whole 8-byte blocks');
  const algorithm = mode === 'ecb' ? 'des-ede3-ecb' : 'des-ede3-cbc';
  const iv = mode === 'ecb' ? null : Buffer.alloc(BLOCK);
  const cipher = decrypt ? createDecipheriv(algorithm, key24, iv) : createCipheriv(algorithm, key24, iv);
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(data), cipher.final()]);
}

function singleKey(key: Uint8Array): Buffer {
  if (key.length !== 8) throw new Error('a DES key is 8 bytes');
  return Buffer.concat([key, key, key]);
}

function doubleKey(key: Uint8Array): Buffer {
  if (key.length !== 16) throw new Error('a two-key TDES key is 16 bytes');
  return Buffer.concat([key, key.subarray(0, 8)]);
}

/** DES(K)[X], block by block (ECB). */
export const encryptDes = (key: Uint8Array, data: Buffer): Buffer => run(false, 'ecb', singleKey(key), data);
/** DES⁻¹(K)[X]. */
export const decryptDes = (key: Uint8Array, data: Buffer): Buffer => run(true, 'ecb', singleKey(key), data);
/** DES3(KL‖KR)[X] = DES(KL)[DES⁻¹(KR)[DES(KL)[X]]], block by block. */
export const encryptTdes = (key: Uint8Array, data: Buffer): Buffer => run(false, 'ecb', doubleKey(key), data);
export const decryptTdes = (key: Uint8Array, data: Buffer): Buffer => run(true, 'ecb', doubleKey(key), data);

/** Single-DES CBC with a zero IV; the last cipher block is a CBC-MAC (the chaining of MAC algorithm 3). */
export function chainDes(key: Uint8Array, data: Buffer): Buffer {
  const out = run(false, 'cbc', singleKey(key), data);
  return out.subarray(out.length - BLOCK);
}

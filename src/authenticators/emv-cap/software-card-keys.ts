import { fromHex } from './bytes.js';
import type { CardKeyHandle, CardKeyOperations } from './card-key-operations.js';
import { computeKeyCheckValue } from './compute-key-check-value.js';
import { computeRetailMac } from './compute-retail-mac.js';
import { deriveIccKey } from './derive-icc-key.js';
import { deriveSessionKey } from './derive-session-key.js';

const doubleLengthKey = (hex: string, what: string): Buffer => {
  const key = fromHex(hex);
  if (key.length !== 16) throw new Error(`${what} must be a 16-byte (double-length) DES key`);
  return key;
};

/**
 * CardKeyOperations in process memory (node:crypto). Issuer master keys come from configuration;
 * imported card keys from the sealed card record. Handles map to key bytes in a WeakMap, so they
 * neither print nor serialise the key, and a handle from another instance is refused.
 */
export function createSoftwareCardKeyOperations(options: { issuerKeys?: Readonly<Record<string, string>> } = {}): CardKeyOperations {
  const issuerKeys = new Map(Object.entries(options.issuerKeys ?? {}).map(([id, hex]) => [id, doubleLengthKey(hex, `issuer key ${id}`)]));
  const keys = new WeakMap<CardKeyHandle, Buffer>();
  const hold = (key: Buffer): CardKeyHandle => {
    const handle: CardKeyHandle = Object.freeze({ kind: 'card-key' as const });
    keys.set(handle, key);
    return handle;
  };
  const open = (handle: CardKeyHandle): Buffer => {
    const key = keys.get(handle);
    if (!key) throw new Error('unknown card key handle');
    return key;
  };
  return {
    async deriveIccKey(source, card) {
      if (source.kind === 'imported') return hold(doubleLengthKey(source.key, 'an imported ICC key'));
      const imk = issuerKeys.get(source.issuerKeyId);
      if (!imk) throw new Error(`no issuer master key "${source.issuerKeyId}"`);
      return hold(deriveIccKey(imk, card, source.derivation));
    },
    async deriveSessionKey(iccKey, scheme, input) {
      return hold(deriveSessionKey(open(iccKey), scheme, input));
    },
    async mac(key, data, padding) {
      return computeRetailMac(open(key), data, padding);
    },
    async checkValue(key) {
      return computeKeyCheckValue(open(key));
    },
  };
}

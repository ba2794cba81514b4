import { describe, test, expect } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { createSecretBox } from '../../src/lib/encryption.js';

/** Flips one bit of one base64url part of a sealed secret (decoded, so padding bits cannot hide it). */
function tamper(sealed: string, part: 1 | 2 | 3): string {
  const parts = sealed.split('.');
  const bytes = Buffer.from(parts[part]!, 'base64url');
  bytes[0] = bytes[0]! ^ 0x01;
  parts[part] = bytes.toString('base64url');
  return parts.join('.');
}

describe('createSecretBox (AES-256-GCM)', () => {
  const box = createSecretBox(randomBytes(32));

  test('seal then open gives the plaintext back', () => {
    for (const plaintext of ['a', 'OATH seed JBSWY3DPEHPK3PXP', 'clé privée ✓'.repeat(200)]) {
      expect(box.open(box.seal(plaintext))).toBe(plaintext);
    }
  });

  test('the sealed form is versioned, and never the same twice (random IV)', () => {
    const a = box.seal('same secret');
    const b = box.seal('same secret');
    expect(a).toMatch(/^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(a).not.toBe(b);
    expect(a).not.toContain('same secret');
  });

  test('tampering with the IV, the ciphertext or the tag is detected', () => {
    const sealed = box.seal('signing key material');
    expect(() => box.open(tamper(sealed, 1))).toThrow();
    expect(() => box.open(tamper(sealed, 2))).toThrow();
    expect(() => box.open(tamper(sealed, 3))).toThrow();
  });

  test('another key cannot open it', () => {
    const sealed = box.seal('signing key material');
    expect(() => createSecretBox(randomBytes(32)).open(sealed)).toThrow();
  });

  test('malformed input is refused', () => {
    const [, iv, body, tag] = box.seal('x').split('.');
    expect(() => box.open(['v2', iv, body, tag].join('.'))).toThrow(/unrecognised/);
    expect(() => box.open('v1.abc')).toThrow(/unrecognised/);
    expect(() => box.open('')).toThrow(/unrecognised/);
  });

  test('the key must be 32 bytes', () => {
    expect(() => createSecretBox(randomBytes(16))).toThrow(/32 bytes/);
    expect(() => createSecretBox(randomBytes(33))).toThrow(/32 bytes/);
  });
});

import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { KeyRepository } from '../domain/ports.js';
import type { SecretBox } from '../lib/encryption.js';

/** The slots every deployment fills once; ids are fixed so that racing processes keep the first key. */
const SIGNING_SLOTS = [
  { id: 'sig-es256-1', alg: 'ES256' },
  { id: 'sig-rs256-1', alg: 'RS256' },
] as const;
const COOKIE_SLOTS = ['cookie-1'];

function generateSigningJwk(alg: string, kid: string): Record<string, unknown> {
  const pair =
    alg === 'ES256'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...pair.privateKey.export({ format: 'jwk' }), kid, alg, use: 'sig' };
}

export interface ProviderKeys {
  jwks: { keys: Record<string, unknown>[] };
  cookieKeys: string[];
}

/**
 * Loads the signing and cookie keys from Postgres, generating any missing one first, so that every
 * process serves the same JWKS and reads the same cookies. ES256 is listed first: it is the default
 * signing algorithm (five times cheaper than RS256, TOOLCHAIN.md); RS256 stays for clients that ask.
 */
export async function loadProviderKeys(repo: KeyRepository, box: SecretBox): Promise<ProviderKeys> {
  const haveSig = new Set((await repo.list('sig')).map((k) => k.id));
  for (const slot of SIGNING_SLOTS) {
    if (!haveSig.has(slot.id)) {
      const jwk = generateSigningJwk(slot.alg, slot.id);
      await repo.insertIfAbsent({ id: slot.id, use: 'sig', alg: slot.alg, material: box.seal(JSON.stringify(jwk)) });
    }
  }
  const haveCookie = new Set((await repo.list('cookie')).map((k) => k.id));
  for (const id of COOKIE_SLOTS) {
    if (!haveCookie.has(id)) {
      await repo.insertIfAbsent({ id, use: 'cookie', alg: 'HS256', material: box.seal(randomBytes(32).toString('base64url')) });
    }
  }
  const signing = await repo.list('sig');
  const order = (alg: string) => (alg === 'ES256' ? 0 : 1);
  signing.sort((a, b) => order(a.alg) - order(b.alg));
  return {
    jwks: { keys: signing.map((k) => JSON.parse(box.open(k.material)) as Record<string, unknown>) },
    cookieKeys: (await repo.list('cookie')).map((k) => box.open(k.material)),
  };
}

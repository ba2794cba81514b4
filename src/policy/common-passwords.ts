import { createRequire } from 'node:module';
import { GuichetError } from '../errors/codes.js';

/** ASVS 4.0.3 2.1.7 / 5.0 6.2.4: at least the top 3000 passwords are refused. */
export const MIN_COMMON_PASSWORDS = 3000;

/**
 * French passwords at the top of the published French rankings that the (mostly English)
 * zxcvbn list lacks or holds only in part; merged into the same set.
 */
const FRENCH_COMMON = [
  'azerty', 'azerty1', 'azerty12', 'azerty123', 'azertyuiop', '1234561', '1234567891',
  'motdepasse', 'motdepasse1', 'motdepasse123', 'mot2passe', 'soleil', 'soleil13', 'doudou', 'chouchou',
  'loulou', 'coucou', 'marseille', 'marseille13', 'bonjour', 'bonjour1', 'jetaime', 'jetaime1',
  'chocolat', 'nounours', 'princesse', 'caramel', 'vanille', 'camille', 'nicolas', 'doudou13',
] as const;

let loaded: ReadonlySet<string> | undefined;

const fold = (s: string): string => s.normalize('NFKC').toLowerCase();

function readZxcvbnPasswords(): string[] {
  const require = createRequire(import.meta.url);
  const pkg = require('@zxcvbn-ts/language-common') as { dictionary?: Record<string, unknown> };
  const list = pkg.dictionary?.['passwords-common'];
  if (!Array.isArray(list) || !list.every((w): w is string => typeof w === 'string')) {
    throw new GuichetError('internal', '@zxcvbn-ts/language-common: dictionary["passwords-common"] is not a list of strings');
  }
  return list;
}

/** The blocklist, built once on first use: lower-cased, NFKC-normalised. */
export function commonPasswords(): ReadonlySet<string> {
  if (loaded) return loaded;
  const words = readZxcvbnPasswords();
  if (words.length < MIN_COMMON_PASSWORDS) {
    throw new GuichetError('internal', `the common-password list holds ${words.length} entries, fewer than ${MIN_COMMON_PASSWORDS}`);
  }
  loaded = new Set([...words, ...FRENCH_COMMON].map(fold));
  return loaded;
}

/** Case-insensitive after NFKC (NIST SP 800-63B §5.1.1.2, ASVS 5.0 6.2.12). */
export function isCommonPassword(s: string): boolean {
  return commonPasswords().has(fold(s));
}

/** The password hash is the floor of a login: kept behind a port so benchmarks can swap bindings. */
export interface PasswordHasher {
  hash(secret: string): Promise<string>;
  verify(hash: string, secret: string): Promise<boolean>;
  /** True when the stored hash was made with weaker parameters than configured (rehash at login). */
  needsRehash(hash: string): boolean;
  /** Verifies against a throwaway hash so an unknown account costs the same time as a known one. */
  burn(secret: string): Promise<void>;
}

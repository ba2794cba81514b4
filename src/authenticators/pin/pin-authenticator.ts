import { createSecretAuthenticator, type SecretDependencies } from '../secret/secret-authenticator.js';

/** The confidential code (N digits): a knowledge factor, RFC 8176 `pin`. */
export const createPinAuthenticator = (deps: SecretDependencies) => createSecretAuthenticator({ id: 'pin', amr: ['pin'] }, deps);

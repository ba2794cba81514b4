import { createSecretAuthenticator, type SecretDependencies } from '../secret/secret-authenticator.js';

/** The password: a knowledge factor, RFC 8176 `pwd`. */
export const createPasswordAuthenticator = (deps: SecretDependencies) => createSecretAuthenticator({ id: 'password', amr: ['pwd'] }, deps);

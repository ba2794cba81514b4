import type { Fixture } from './fixture.js';

export const DEMO_CLIENT_ID = 'guichet-demo';

/** The demo's resource server (src/http/demo-resource-server.ts): the `aud` of its operation tokens. */
export const demoApiUrl = (issuer: string) => new URL('/demo/api', issuer).href;

export const demoClientMetadata = (issuer: string) => ({
  client_name: 'Guichet demo',
  redirect_uris: [new URL('/demo/callback', issuer).href],
  post_logout_redirect_uris: [new URL('/demo/logged-out', issuer).href],
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  token_endpoint_auth_method: 'none',
  // RFC 9396: transfers (always pushed, RFC 9126) and payee management; tokens for them go to the demo API.
  authorization_details_types: ['payment_initiation', 'sensitive_operation'],
  guichet_resource: demoApiUrl(issuer),
});

/**
 * The demo account's TOTP secret: base32 of the 20 bytes 'guichet-demo-totp-20'. Public on purpose
 * (docs/SEED.md), so that the demo can show SCA: `echo <secret> | npm run cli -- totp-code --secret-stdin`
 * prints the current code, as an authenticator app would.
 */
export const DEMO_TOTP_SECRET = 'M52WSY3IMV2C2ZDFNVXS25DPORYC2MRQ';
/** Claire's, base32 of 'guichet-demo-claire!': the PSD2 profile asks every account for SCA at first access. */
export const DEMO_TOTP_SECRET_CLAIRE = 'M52WSY3IMV2C2ZDFNVXS2Y3MMFUXEZJB';

/** The demo data `npm start` seeds on an empty database; README lists these credentials. */
export const DEMO_CREDENTIALS = [
  { identifier: 'demo', password: 'Guichet-Demo-2026', note: `subscriber code + password; TOTP secret ${DEMO_TOTP_SECRET}, codes: echo ${DEMO_TOTP_SECRET} | npm run cli -- totp-code --secret-stdin` },
  { identifier: 'claire.martin', password: 'Martin-Claire-2026', note: `English-speaking user; TOTP secret ${DEMO_TOTP_SECRET_CLAIRE}` },
] as const;

export function demoFixture(issuer: string): Fixture {
  return {
    subscriptions: [{ identifier: 'ACME-001', name: 'ACME Industries' }],
    accounts: [
      { username: 'demo', subscription: 'ACME-001', userNumber: '01', status: 'active', familyName: 'Dupont', givenName: 'Jeanne', email: 'jeanne.dupont@example.com', emailVerified: true, locale: 'fr', roles: ['full', 'subscription_admin'], profile: 'full', preferences: { defaultContract: 'CTR-0001' }, password: DEMO_CREDENTIALS[0].password, passwordMustChange: false, totp: { secret: DEMO_TOTP_SECRET } },
      { username: 'claire.martin', subscription: 'ACME-001', userNumber: '02', status: 'active', familyName: 'Martin', givenName: 'Claire', email: 'claire.martin@example.com', emailVerified: true, locale: 'en', roles: ['consultation'], profile: 'consultation', preferences: {}, password: DEMO_CREDENTIALS[1].password, passwordMustChange: false, totp: { secret: DEMO_TOTP_SECRET_CLAIRE } },
      { username: 'suspendu', subscription: 'ACME-001', userNumber: '03', status: 'suspended', familyName: 'Bernard', emailVerified: false, locale: 'fr', roles: [], preferences: {}, password: 'Suspended-Account-2026', passwordMustChange: false },
    ],
    clients: [{ client_id: DEMO_CLIENT_ID, first_party: true, ...demoClientMetadata(issuer) }],
  };
}

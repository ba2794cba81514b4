/** Jest runs the TypeScript sources as ESM (TOOLCHAIN.md: oidc-provider and openid-client are ESM-only). */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json', diagnostics: false }] },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  // Integration tests start real processes on a 2-core machine: leave room for a busy box.
  testTimeout: 90000,
  maxWorkers: 2,
  setupFiles: ['<rootDir>/test/helpers/setup.ts'],
};

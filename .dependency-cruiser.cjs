/** The import direction of STYLE.md, checked in `npm test`: inner rooms never import outer ones. */
const layer = (from, allowed, extra = []) => ({
  name: `${from}-imports-inward-only`,
  severity: 'error',
  from: { path: `^src/${from}/` },
  to: { path: '^src/', pathNot: [`^src/(${[from, ...allowed].join('|')})/`, ...extra] },
});

module.exports = {
  forbidden: [
    layer('lib', []),
    layer('errors', ['lib']),
    layer('domain', ['lib', 'errors']),
    layer('config', ['lib', 'errors', 'domain']),
    layer('i18n', ['lib', 'errors', 'domain']),
    layer('authenticators', ['lib', 'errors', 'domain', 'config']),
    layer('policy', ['lib', 'errors', 'domain', 'config', 'authenticators']),
    layer('flows', ['lib', 'errors', 'domain', 'config', 'i18n', 'authenticators', 'policy']),
    layer('mail', ['lib', 'errors', 'domain']),
    layer('admin', ['lib', 'errors', 'domain', 'config', 'i18n', 'authenticators', 'policy']),
    layer('persistence', ['lib', 'errors', 'domain']),
    {
      name: 'views-render-only',
      severity: 'error',
      from: { path: '^views/' },
      to: { path: '^src/', pathNot: ['^src/(lib|i18n|domain)/'] },
    },
    layer('http', ['lib', 'errors', 'domain', 'config', 'i18n', 'authenticators', 'policy', 'flows', 'admin', 'oidc']),
    // The CLI is an entry point like main.ts: it may build the container, nothing else outward.
    layer('cli', ['lib', 'errors', 'domain', 'config', 'i18n', 'authenticators', 'policy', 'flows', 'admin'], ['^src/container\\.ts$']),
    {
      name: 'persistence-only-from-composition-root',
      severity: 'error',
      from: { path: '^src/', pathNot: ['^src/persistence/', '^src/container\\.ts$'] },
      to: { path: '^src/persistence/' },
    },
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
    {
      name: 'flows-know-no-http',
      severity: 'error',
      from: { path: '^src/(flows|policy|authenticators|domain)/' },
      to: { path: 'node_modules/(koa|@koa|oidc-provider)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};

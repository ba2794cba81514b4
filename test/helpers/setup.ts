/** oidc-provider warns once per import that Node 20 is past its end of life (README: prefer 22). */
const warn = console.warn.bind(console);
console.warn = (...args: unknown[]) => {
  if (typeof args[0] === 'string' && args[0].includes('Unsupported runtime')) return;
  warn(...args);
};

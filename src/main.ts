import { createServer } from 'node:http';
import { ConfigError, loadConfig, productionWarnings } from './config/load.js';
import { createContainer } from './container.js';
import { DEMO_CREDENTIALS } from './admin/demo-fixture.js';
import { createClientCertificateServer, readListenerCredentials } from './authenticators/x509/tls-listener.js';

/** Process entry: configuration → container → listen; stops cleanly on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  let config;
  try {
    const embedded = !process.env.DATABASE_URL;
    config = loadConfig(process.env, embedded && process.env.GUICHET_SEED_DEMO === undefined ? { seedDemo: true } : {});
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
  const container = await createContainer(config);
  const { logger } = container;
  for (const warning of productionWarnings(config)) logger.warn(`NOT FOR PRODUCTION: ${warning}`);
  const server = createServer(container.provider.callback());
  server.headersTimeout = 20_000;
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(config.port, config.host, resolve));
  // Certificate login has a port of its own, so that ordinary pages never prompt for a certificate.
  const certificateServer =
    config.x509.enabled && config.x509.tls.port > 0 ? createClientCertificateServer({ ...(await readListenerCredentials(config.x509)), handler: container.provider.callback() }) : null;
  if (certificateServer) {
    certificateServer.headersTimeout = 20_000;
    certificateServer.requestTimeout = 30_000;
    await new Promise<void>((resolve) => certificateServer.listen(config.x509.tls.port, config.x509.tls.host, resolve));
  }
  const lines = [`Guichet is up. Issuer: ${config.issuer}`, `Discovery: ${new URL('/.well-known/openid-configuration', config.issuer).href}`];
  if (config.seedDemo) {
    lines.push(`Demo relying party: ${new URL('/demo', config.issuer).href}`);
    for (const c of DEMO_CREDENTIALS) lines.push(`  demo login: ${c.identifier} / ${c.password}  (${c.note})`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  logger.info({ issuer: config.issuer, port: config.port, ...(certificateServer ? { certificatePort: config.x509.tls.port } : {}) }, 'listening');
  // New CRL files take effect without a restart; a failed reload keeps the previous store.
  if (container.x509) {
    const trust = container.x509.trust;
    process.on('SIGHUP', () => void trust.reload().then(() => logger.info('x509 trust store reloaded'), (err: unknown) => logger.error({ err }, 'x509 trust store not reloaded')));
  }
  container.reminders.start();

  const stop = async (signal: string) => {
    logger.info({ signal }, 'stopping');
    server.close();
    server.closeAllConnections();
    certificateServer?.close();
    certificateServer?.closeAllConnections();
    await container.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

await main();

// `npm run serve`: the main services headless under Node, the built renderer and the API on
// 127.0.0.1. Prints the URL (with the per-run secret) to open in a browser.
import { parseArgs } from 'node:util';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { homedir } from 'node:os';
import { createServiceHost } from '../services/host';
import { createConsoleLogger } from '../services/logger';
import { startServeHost } from './server';
import { APP_VERSION } from '../services/version';

const here = dirname(fileURLToPath(import.meta.url));
const logger = createConsoleLogger('serve');

function defaultDataDir(): string {
  return join(homedir(), '.twinledger', 'serve');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: process.env.TWINLEDGER_PORT ?? '0' },
      'data-dir': { type: 'string', default: process.env.TWINLEDGER_DATA_DIR },
      'renderer-dir': { type: 'string', default: join(here, '../renderer') },
      'no-sandbox-seed': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(
      'Usage: npm run serve -- [--port N] [--data-dir DIR]\n' +
        '  --port       port on 127.0.0.1 (default: a free one; env TWINLEDGER_PORT)\n' +
        '  --data-dir   where the twin cache and settings live (env TWINLEDGER_DATA_DIR,\n' +
        `               default ${defaultDataDir()})\n` +
        '  --no-sandbox-seed  start the sandbox empty: no demo identities, sample twin or roles\n' +
        '               (env TWINLEDGER_SANDBOX_SEED=0)',
    );
    return;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`--port must be a number from 0 to 65535, got "${values.port}".`);
  }
  const dataDir = resolve(values['data-dir'] ?? defaultDataDir());
  const services = createServiceHost({
    dataDir,
    host: 'serve',
    appVersion: APP_VERSION,
    logger,
    // A first start of the sandbox shows every role at work (demo identities, sample twin, grants).
    seedSandbox: !values['no-sandbox-seed'] && process.env.TWINLEDGER_SANDBOX_SEED !== '0',
  });
  const handle = await startServeHost({
    services,
    rendererDir: values['renderer-dir'],
    port,
    logger,
  });
  logger.info(`data folder ${dataDir}`);
  // The one line on stdout: tests and scripts read the URL from it.
  console.log(`TwinLedger is serving at ${handle.url}`);

  let closing = false;
  const shutdown = async () => {
    if (closing) return;
    closing = true;
    await handle.close();
    await services.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown());
  process.on('SIGTERM', () => void shutdown());
}

main().catch((error: unknown) => {
  logger.error('serve failed to start', error);
  process.exit(1);
});

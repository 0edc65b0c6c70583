// `npm run gateway`: the sensor gateway headless under Node, on a data folder's twin database (its
// mappings, credentials and readings), with the broker settings from flags; it relays breaches on
// chain when given a JSON-RPC endpoint and the deployment manifest (e.g. `npm run chain`).
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { NewSensorMapping, type GatewayConfig } from '../../shared/api/sensors';
import { httpProvider } from '../chain/chain-service';
import { createConsoleLogger } from '../services/logger';
import { readManifest, sandboxManifestPath } from '../sync/deployment';
import { Vault } from '../vault/vault';
import { passphraseOnly } from '../vault/secret-protector';
import { ChainRules } from './chain-rules';
import { GatewayService } from './gateway-service';
import { MAINTENANCE_CONTRACT } from './maintenance-abi';
import { ReadingRelay, type RelayTarget } from './relay';
import { StaticRules, type RuleSource } from './rules';

const logger = createConsoleLogger('gateway');

const HELP = `Usage: npm run gateway -- [options]
  --data-dir DIR      the data folder whose twins.sqlite holds mappings and readings
                      (env TWINLEDGER_DATA_DIR, default ~/.twinledger/serve)
  --port N            embedded broker port (default: the saved setting, 1883)
  --open              listen on every interface (sensors must log in: sensors.setCredential)
  --broker URL        subscribe to an external broker instead (mqtt://host:1883)
  --filter TOPIC      external broker: topic filter besides the mapped topics (default sensors/#)
  --mappings FILE     add the mappings in FILE (a JSON array of sensors.addMapping requests)
  --rpc URL           JSON-RPC endpoint of the chain, to relay breaches (e.g. npm run chain)
  --manifest FILE     deployment manifest (default: the data folder's sandbox manifest)
  --identity ID       vault identity that pays for batches (default: each sensor's own)`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'data-dir': { type: 'string', default: process.env.TWINLEDGER_DATA_DIR },
      port: { type: 'string' },
      open: { type: 'boolean', default: false },
      broker: { type: 'string' },
      filter: { type: 'string' },
      mappings: { type: 'string' },
      rpc: { type: 'string' },
      manifest: { type: 'string' },
      identity: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const dataDir = resolve(values['data-dir'] ?? join(homedir(), '.twinledger', 'serve'));
  const override: Partial<GatewayConfig> = { enabled: true };
  if (values.port !== undefined) {
    const port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw new Error(`--port must be a number from 0 to 65535, got "${values.port}".`);
    override.port = port;
    override.brokerMode = 'embedded';
  }
  if (values.open) override.openToNetwork = true;
  if (values.broker) Object.assign(override, { brokerMode: 'external', brokerUrl: values.broker });
  if (values.filter) override.topicFilter = values.filter;

  const provider = values.rpc ? httpProvider(values.rpc) : null;
  const manifestPath = values.manifest ? resolve(values.manifest) : sandboxManifestPath(dataDir);
  const manifest = provider ? readManifest(manifestPath) : null;
  const contract = manifest?.contracts[MAINTENANCE_CONTRACT];
  if (provider && !contract)
    throw new Error(`${manifestPath} names no ${MAINTENANCE_CONTRACT}: nothing to relay readings to.`);
  const target: RelayTarget | null =
    manifest && contract ? { chainId: manifest.chainId, maintenance: contract.address } : null;
  const vault = new Vault({
    dataDir,
    protector: passphraseOnly('The headless gateway signs with demo identities or an unlocked vault.'),
    idleLockMinutes: () => 0,
  });

  let gateway: GatewayService | null = null;
  const rules: RuleSource = target
    ? new ChainRules({
        provider: () => provider,
        target: () => target,
        chainTwinId: (twinId) => gateway?.store.chainTwinIdOf(twinId) ?? null,
        channels: () => gateway?.store.listMappings().filter((m) => m.enabled) ?? [],
        logger,
      })
    : new StaticRules();
  gateway = new GatewayService({
    dbPath: join(dataDir, 'twins.sqlite'),
    rules,
    logger,
    configOverride: override,
    ...(target
      ? {
          relay: (store, hooks) =>
            new ReadingRelay(
              store,
              {
                provider: () => provider,
                target: () => target,
                chainTwinId: (twinId) => store.chainTwinIdOf(twinId),
                signTypedData: (request) => vault.signTypedData(request),
                transactionSigner: (identityId, ethersProvider, chainId) =>
                  vault.connectedSigner(values.identity ?? identityId, ethersProvider, chainId),
                defaultPayerIdentity: () => values.identity ?? null,
                onBatchLanded: () => void rules.refresh?.(),
                logger,
              },
              hooks,
            ),
        }
      : {}),
  });
  if (values.mappings) {
    const list = JSON.parse(readFileSync(resolve(values.mappings), 'utf8')) as unknown[];
    for (const [i, entry] of list.entries()) {
      const parsed = NewSensorMapping.safeParse(entry);
      if (!parsed.success)
        throw new Error(`mapping ${i + 1} in ${values.mappings}: ${parsed.error.issues[0]?.message}`);
      if (gateway.store.mappingByTopic(parsed.data.topic)) continue;
      gateway.addMapping(parsed.data);
    }
  }
  await gateway.start();
  await rules.refresh?.();
  const status = gateway.status();
  if (status.state === 'error') throw new Error(status.lastError ?? 'the gateway did not start');
  logger.info(
    `${status.broker.mode === 'embedded' ? 'listening on' : 'subscribed to'} ${status.broker.url}; ` +
      `${gateway.listMappings({}).length} mapping(s); ${target ? `relaying to ${target.maintenance}` : 'not relaying (no --rpc)'}`,
  );
  let last = '';
  const report = setInterval(() => {
    const s = gateway.status();
    const line = `received ${s.counts.received}, stored ${s.counts.stored}, rejected ${s.counts.rejectedTotal}, relayed ${s.counts.relayed}, pending ${s.relay.pending}`;
    if (line !== last) logger.info(line);
    last = line;
  }, 5000);
  const stop = async () => {
    clearInterval(report);
    await gateway.close();
    vault.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

main().catch((error: unknown) => {
  logger.error((error as Error).message);
  process.exit(1);
});

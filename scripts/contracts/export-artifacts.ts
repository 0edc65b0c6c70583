// Exports the compiled contracts the app uses (ABI + bytecode) and their TypeChain ethers-v6 types
// to src/main/chain/generated, which is committed so the app builds without Hardhat.
// Run after `hardhat compile` (npm run build:contracts). With --check, regenerates into a temporary
// folder and exits 1 when the committed output differs (run by npm run test:contracts).
import { createHash } from 'node:crypto';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runTypeChain } from 'typechain';

/**
 * Contracts the app deploys or talks to. `delegatesTo`: a contract whose fallback delegates to
 * another (the maintenance manager and its extension) exports the ABI of both, so one typed
 * contract at one address has every function; `implements`: an interface whose every function the
 * exported ABI must have (checked, so a function left out of both halves fails the build).
 */
const EXPORTED: {
  name: string;
  source: string;
  delegatesTo?: { name: string; source: string };
  implements?: { name: string; source: string };
}[] = [
  { name: 'TwinRegistry', source: 'contracts/TwinRegistry.sol' },
  {
    name: 'MaintenanceManager',
    source: 'contracts/maintenance/MaintenanceManager.sol',
    delegatesTo: { name: 'MaintenanceExtension', source: 'contracts/maintenance/MaintenanceExtension.sol' },
    implements: { name: 'IMaintenance', source: 'contracts/maintenance/IMaintenance.sol' },
  },
  { name: 'SandboxCredit', source: 'contracts/sandbox/SandboxCredit.sol' },
];

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const target = path.join(root, 'src/main/chain/generated');
const check = process.argv.includes('--check');

interface HardhatArtifact {
  contractName: string;
  sourceName: string;
  abi: unknown[];
  bytecode: string;
  deployedBytecode: string;
}

interface AbiEntry {
  type: string;
  name?: string;
  inputs?: { type: string; components?: unknown[] }[];
}

/** A key that identifies an ABI entry by kind and signature (overloads stay apart). */
function abiKey(entry: AbiEntry): string {
  return `${entry.type}:${entry.name ?? ''}:${JSON.stringify(entry.inputs ?? [])}`;
}

async function readArtifact(name: string, source: string): Promise<HardhatArtifact> {
  return JSON.parse(
    await readFile(path.join(root, 'artifacts', source, `${name}.json`), 'utf8'),
  ) as HardhatArtifact;
}

/** The contract's ABI, plus its delegate's functions, events and errors that it lacks. */
async function exportedAbi(entry: (typeof EXPORTED)[number], artifact: HardhatArtifact): Promise<unknown[]> {
  const abi = [...(artifact.abi as AbiEntry[])];
  if (entry.delegatesTo) {
    const delegate = await readArtifact(entry.delegatesTo.name, entry.delegatesTo.source);
    const seen = new Set(abi.map(abiKey));
    for (const item of delegate.abi as AbiEntry[]) {
      if (item.type === 'constructor' || seen.has(abiKey(item))) continue;
      seen.add(abiKey(item));
      abi.push(item);
    }
  }
  if (entry.implements) {
    const iface = await readArtifact(entry.implements.name, entry.implements.source);
    const have = new Set(abi.map(abiKey));
    const missing = (iface.abi as AbiEntry[]).filter((item) => !have.has(abiKey(item))).map((i) => i.name);
    if (missing.length) {
      throw new Error(`${entry.name} lacks ${entry.implements.name}'s ${missing.join(', ')}`);
    }
  }
  return abi;
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}

async function generate(out: string): Promise<void> {
  await rm(out, { recursive: true, force: true });
  await mkdir(path.join(out, 'abi'), { recursive: true });
  const abiFiles: string[] = [];
  const summary: Record<string, { abiHash: string; bytecodeHash: string; bytecodeBytes: number }> = {};
  for (const entry of EXPORTED) {
    const { name, source } = entry;
    const artifact = await readArtifact(name, source);
    const abi = await exportedAbi(entry, artifact);
    const exported = {
      contractName: artifact.contractName,
      sourceName: source,
      abi,
      bytecode: artifact.bytecode,
    };
    const file = path.join(out, 'abi', `${name}.json`);
    await writeFile(file, `${JSON.stringify(exported, null, 2)}\n`);
    abiFiles.push(file);
    summary[name] = {
      abiHash: createHash('sha256').update(JSON.stringify(abi)).digest('hex'),
      bytecodeHash: createHash('sha256').update(artifact.bytecode).digest('hex'),
      bytecodeBytes: (artifact.bytecode.length - 2) / 2,
    };
  }
  await runTypeChain({
    cwd: root,
    target: 'ethers-v6',
    outDir: path.join(out, 'types'),
    filesToProcess: abiFiles,
    allFiles: abiFiles,
  });
  const banner =
    '// Generated by scripts/contracts/export-artifacts.ts from the compiled contracts. Do not edit.\n';
  const index =
    banner +
    EXPORTED.map(({ name }) => `import ${name}Artifact from './abi/${name}.json';`).join('\n') +
    '\n\n' +
    `export * from './types';\n` +
    EXPORTED.map(({ name }) => `export { ${name}Artifact };`).join('\n') +
    '\n\n' +
    `/** Fingerprints of the exported ABIs and bytecode (solc 0.8.37, optimizer 10,000 runs, prague). */\n` +
    `export const CONTRACTS_BUILD = ${JSON.stringify(summary, null, 2)} as const;\n`;
  await writeFile(path.join(out, 'index.ts'), index);
  await writeFile(
    path.join(out, 'README.md'),
    '# Generated contract bindings\n\nWritten by `npm run build:contracts` (scripts/contracts/export-artifacts.ts): ' +
      'ABI and bytecode in `abi/`, TypeChain ethers-v6 types and factories in `types/`. Never edit by hand; ' +
      '`npm run test:contracts` fails when this folder is out of date.\n',
  );
}

if (check) {
  const scratch = await mkdtemp(path.join(tmpdir(), 'twinledger-generated-'));
  try {
    await generate(scratch);
    const [fresh, committed] = await Promise.all([listFiles(scratch), listFiles(target).catch(() => [])]);
    const stale: string[] = [];
    for (const file of new Set([...fresh, ...committed])) {
      const a = await readFile(path.join(scratch, file), 'utf8').catch(() => null);
      const b = await readFile(path.join(target, file), 'utf8').catch(() => null);
      if (a !== b) stale.push(file);
    }
    if (stale.length) {
      console.error(
        `src/main/chain/generated is out of date (${stale.join(', ')}): run npm run build:contracts`,
      );
      process.exitCode = 1;
    } else {
      console.log(`src/main/chain/generated is up to date (${fresh.length} files)`);
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
} else {
  const scratch = await mkdtemp(path.join(tmpdir(), 'twinledger-generated-'));
  await generate(scratch);
  await rm(target, { recursive: true, force: true });
  await cp(scratch, target, { recursive: true });
  await rm(scratch, { recursive: true, force: true });
  console.log(`exported ${EXPORTED.map((c) => c.name).join(', ')} to ${path.relative(root, target)}`);
}

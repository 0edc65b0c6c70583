// Shared pieces of the sync tests: temp folders, a quiet logger, hosts with sandbox seeding, and a
// small API caller that throws on errors.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServiceHost, type ServiceHost } from '../../src/main/services/host';
import type { Logger } from '../../src/main/services/logger';
import type { MethodName, RequestOf, ResponseOf } from '../../src/shared/api';

export const REPO = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..');
export const SAMPLES = join(REPO, 'resources', 'samples');

export function tempDir(prefix: string, parent = tmpdir()): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(parent, `twinledger-${prefix}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export const quietLogger: Logger & { lines: string[] } = {
  lines: [],
  info(m) {
    this.lines.push(`info ${m}`);
  },
  warn(m) {
    this.lines.push(`warn ${m}`);
  },
  error(m, e) {
    this.lines.push(`error ${m} ${e instanceof Error ? e.message : String(e ?? '')}`);
  },
};

export function seededHost(dataDir: string, options: { startChain?: boolean } = {}): ServiceHost {
  return createServiceHost({
    dataDir,
    host: 'serve',
    appVersion: '0.0.0-test',
    logger: quietLogger,
    seedSandbox: true,
    samplesDir: SAMPLES,
    ...options,
  });
}

export async function call<M extends MethodName>(
  host: ServiceHost,
  method: M,
  request: RequestOf<M>,
): Promise<ResponseOf<M>> {
  const result = await host.router.call(method, request);
  if (!result.ok) throw Object.assign(new Error(result.error.message), { code: result.error.code });
  return result.value;
}

// The sample twins shipped in resources/samples (the sandbox's federated Duplex twin): imports one
// as a new twin with all its discipline models, each committed as a version.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ImportReport } from './import-job';
import type { ImportService } from './import-service';

interface SampleManifest {
  [sample: string]: {
    twinName: string;
    models: { file: string; name: string; discipline: string }[];
    credits: string[];
  };
}

export interface SampleTwin {
  twinId: string;
  reports: ImportReport[];
  credits: string[];
}

/** `samplesDir` is resources/samples: in the repository, or under process.resourcesPath when packaged. */
export async function importSampleTwin(
  importer: ImportService,
  samplesDir: string,
  sample = 'duplex',
): Promise<SampleTwin> {
  const manifest = JSON.parse(readFileSync(join(samplesDir, 'samples.json'), 'utf8')) as SampleManifest;
  const entry = manifest[sample];
  if (!entry) throw new Error(`There is no sample "${sample}" in ${samplesDir}.`);
  const twinId = randomUUID();
  const reports: ImportReport[] = [];
  for (const [index, model] of entry.models.entries()) {
    const target =
      index === 0
        ? ({
            kind: 'newTwin',
            twinId,
            twinName: entry.twinName,
            modelId: randomUUID(),
            modelName: model.name,
            discipline: model.discipline,
          } as const)
        : ({
            kind: 'newModel',
            twinId,
            modelId: randomUUID(),
            modelName: model.name,
            discipline: model.discipline,
          } as const);
    reports.push(
      await importer.run({
        jobId: `sample-${sample}-${index}-${randomUUID().slice(0, 8)}`,
        source: { kind: 'path', path: join(samplesDir, model.file) },
        target,
        commit: true,
      }),
    );
  }
  return { twinId, reports, credits: entry.credits };
}

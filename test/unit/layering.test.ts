// The layering rules of STYLE.md are lint rules; this proves they fire on the imports they forbid
// (and stay quiet on the ones they allow), so a config edit cannot silently disable them.
import { describe, expect, it } from 'vitest';
import { ESLint } from 'eslint';

const eslint = new ESLint();

async function restricted(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? [])
    .filter((m) => m.ruleId === 'no-restricted-imports' || m.ruleId === 'no-restricted-globals')
    .map((m) => m.message);
}

describe('layering', () => {
  it('src/shared imports no Node, Electron or other layers, and uses no DOM or Node globals', async () => {
    expect(
      await restricted(
        'src/shared/x.ts',
        "import { readFileSync } from 'node:fs';\nexport const a = readFileSync;\n",
      ),
    ).toHaveLength(1);
    expect(
      await restricted('src/shared/x.ts', "import { app } from 'electron';\nexport const a = app;\n"),
    ).toHaveLength(1);
    expect(
      await restricted(
        'src/shared/x.ts',
        "import { x } from '../main/services/host';\nexport const a = x;\n",
      ),
    ).toHaveLength(1);
    expect(await restricted('src/shared/x.ts', 'export const a = window.location;\n')).toHaveLength(1);
    expect(
      await restricted('src/shared/x.ts', "import { z } from 'zod';\nexport const a = z;\n"),
    ).toHaveLength(0);
  });

  it('the renderer never imports main, Node or Electron, and uses deep Babylon imports', async () => {
    expect(
      await restricted(
        'src/renderer/src/x.ts',
        "import { createServiceHost } from '../../main/services/host';\nexport const a = createServiceHost;\n",
      ),
    ).toHaveLength(1);
    expect(
      await restricted(
        'src/renderer/src/x.ts',
        "import { ipcRenderer } from 'electron';\nexport const a = ipcRenderer;\n",
      ),
    ).toHaveLength(1);
    expect(
      await restricted(
        'src/renderer/src/x.ts',
        "import { Engine } from '@babylonjs/core';\nexport const a = Engine;\n",
      ),
    ).toHaveLength(1);
    expect(
      await restricted(
        'src/renderer/src/x.ts',
        "import { Engine } from '@babylonjs/core/Engines/engine';\nexport const a = Engine;\n",
      ),
    ).toHaveLength(0);
  });

  it("main's services stay free of Electron so the serve host can run them", async () => {
    expect(
      await restricted('src/main/services/x.ts', "import { app } from 'electron';\nexport const a = app;\n"),
    ).toHaveLength(1);
    expect(
      await restricted('src/main/electron/x.ts', "import { app } from 'electron';\nexport const a = app;\n"),
    ).toHaveLength(0);
  });
});

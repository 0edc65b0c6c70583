// Starts web-ifc with the wasm shipped with the app (node_modules/web-ifc, or its unpacked copy
// beside an asar archive); it is never fetched from the network.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as WebIFC from 'web-ifc';

/** The folder holding web-ifc-node.wasm, resolved at run time. */
export function webIfcWasmDir(): string {
  const require = createRequire(import.meta.url);
  const dir = dirname(require.resolve('web-ifc'));
  // Inside a packaged app the module resolves into app.asar; the wasm is unpacked beside it.
  const unpacked = dir.replace(/app\.asar(?=[\\/])/, 'app.asar.unpacked');
  if (unpacked !== dir && existsSync(join(unpacked, 'web-ifc-node.wasm'))) return unpacked;
  return dir;
}

export async function startWebIfc(): Promise<WebIFC.IfcAPI> {
  const api = new WebIFC.IfcAPI();
  const dir = webIfcWasmDir();
  await api.Init((path: string) => join(dir, path), true);
  api.SetLogLevel(WebIFC.LogLevel.LOG_LEVEL_OFF);
  return api;
}

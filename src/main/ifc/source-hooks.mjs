// Lets Node (>= 22.18, which strips TypeScript types itself) run this project's TypeScript source
// directly: the source uses bundler-style imports without extensions, so this resolve hook tries
// `.ts` and `/index.ts`. Used by the import worker when run from source (tests) and by benches:
// `node --import ./src/main/ifc/source-hooks.mjs bench/import.ts`.
import { registerHooks } from 'node:module';

const installed = Symbol.for('twinledger.sourceHooks');
if (!globalThis[installed]) {
  globalThis[installed] = true;
  registerHooks({
    resolve(specifier, context, nextResolve) {
      if ((specifier.startsWith('./') || specifier.startsWith('../')) && !/\.[cm]?[jt]s$/.test(specifier)) {
        for (const candidate of [`${specifier}.ts`, `${specifier}/index.ts`]) {
          try {
            return nextResolve(candidate, context);
          } catch {
            // try the next form
          }
        }
      }
      return nextResolve(specifier, context);
    },
  });
}

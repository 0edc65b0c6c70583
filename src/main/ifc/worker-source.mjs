// Runs the import worker from its TypeScript source (tests under vitest, benches); the built app
// uses out/main/ifc-worker.js, the `ifc-worker` entry of electron.vite.config.ts, instead.
import './source-hooks.mjs';

await import('./worker.ts');

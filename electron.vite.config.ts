// One build block per process. Main is ESM for Node/Electron and has two entries: the Electron
// shell (index) and the headless serve host (serve). The preload is CommonJS so the renderer can
// stay sandboxed. The renderer gets its Content-Security-Policy injected at build time (the dev
// server needs inline scripts for hot reload).
import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import react from '@vitejs/plugin-react';
import type { Plugin } from 'vite';
import { META_CONTENT_SECURITY_POLICY } from './src/shared/csp';

const cspOnBuild = (): Plugin => ({
  name: 'twinledger-csp',
  apply: 'build',
  transformIndexHtml: (html) =>
    html.replace(
      '<head>',
      `<head>\n    <meta http-equiv="Content-Security-Policy" content="${META_CONTENT_SECURITY_POLICY}" />`,
    ),
});

export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      rollupOptions: {
        input: {
          index: resolve('src/main/index.ts'),
          serve: resolve('src/main/serve/cli.ts'),
          'ifc-worker': resolve('src/main/ifc/worker.ts'),
          chain: resolve('src/main/chain/node-cli.ts'),
          gateway: resolve('src/main/gateway/cli.ts'),
        },
      },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      rollupOptions: {
        input: { index: resolve('src/preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: 'src/renderer',
    plugins: [react(), cspOnBuild()],
    build: {
      outDir: 'out/renderer',
      minify: true,
      chunkSizeWarningLimit: 4096,
      rollupOptions: { input: { index: resolve('src/renderer/index.html') } },
    },
  },
});

// Lint rules, including the layering of STYLE.md: src/shared runs anywhere (no Electron, Node or
// DOM), the renderer never reaches into main, and main's services stay free of Electron so the
// headless serve host can run them.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

const nodeBuiltins = [
  'node:*',
  'fs',
  'path',
  'os',
  'crypto',
  'child_process',
  'worker_threads',
  'http',
  'net',
  'url',
  'util',
  'stream',
];

export default tseslint.config(
  {
    ignores: [
      '.perf/**',
      '**/journal.jsonl',
      'out/**',
      'dist/**',
      'node_modules/**',
      'coverage/**',
      'artifacts/**',
      'cache/**',
      'test-results/**',
      'src/main/chain/generated/**',
      'types/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'no-console': 'off',
    },
  },
  {
    files: ['**/*.{js,mjs,cjs,ts}'],
    ignores: ['src/renderer/**', 'src/shared/**'],
    languageOptions: { globals: { ...globals.node } },
  },
  {
    files: ['src/shared/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'electron', message: 'src/shared runs in every process: no Electron.' }],
          patterns: [
            { group: nodeBuiltins, message: 'src/shared runs in every process: no Node built-ins.' },
            {
              group: ['**/main/**', '**/renderer/**', '**/preload/**'],
              message: 'src/shared depends on nothing else in src.',
            },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        'window',
        'document',
        'navigator',
        'localStorage',
        'process',
        'Buffer',
        'require',
      ],
    },
  },
  {
    files: ['src/renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'electron', message: 'The renderer talks to main only through the API client.' },
            {
              name: '@babylonjs/core',
              message: 'Use deep imports (@babylonjs/core/...) to keep the bundle small.',
            },
          ],
          patterns: [
            { group: nodeBuiltins, message: 'The renderer has no Node: ask main through the API.' },
            { group: ['**/main/**', '**/main'], message: 'The renderer never imports src/main.' },
          ],
        },
      ],
    },
  },
  {
    files: [
      'src/main/services/**/*.ts',
      'src/main/store/**/*.ts',
      'src/main/ifc/**/*.ts',
      'src/main/chain/**/*.ts',
      'src/main/vault/**/*.ts',
      'src/main/serve/**/*.ts',
    ],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'electron',
              message: 'Main services run headless too (serve mode): keep Electron in src/main/electron.',
            },
          ],
          patterns: [{ group: ['**/renderer/**'], message: 'Main never imports the renderer.' }],
        },
      ],
    },
  },
  {
    files: ['src/preload/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/main/**', '**/renderer/**', 'zod', '@msgpack/*'],
              message: 'The sandboxed preload bundles only electron and plain constants.',
            },
          ],
        },
      ],
    },
  },
);

// ESLint flat config: typescript-eslint strict type-checked rules plus the module
// boundaries of STYLE.md 2.2 (imports point down only).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';

// Builtins must be imported with the node: prefix.
const BARE_BUILTINS = ['fs', 'fs/promises', 'net', 'tls', 'path', 'os', 'crypto', 'child_process', 'dgram', 'events',
  'util', 'stream', 'buffer', 'http', 'https', 'url', 'assert', 'assert/strict', 'timers', 'timers/promises', 'dns',
  'dns/promises', 'zlib', 'cluster', 'worker_threads', 'readline', 'process', 'test', 'perf_hooks', 'v8'].map(
  (name) => ({ name, message: `import "node:${name}" instead` }),
);

const zones = [
  // protocol/** is pure: no sockets, timers, logging, config, auth or relay.
  { target: './src/protocol', from: ['./src/config', './src/auth', './src/relay', './src/tls', './src/net', './src/worker', './src/primary', './src/log', './src/metrics'] },
  { target: './src/config', from: ['./src/protocol', './src/auth', './src/relay', './src/tls', './src/net', './src/worker', './src/primary', './src/log', './src/metrics'] },
  { target: './src/auth', from: ['./src/relay', './src/tls', './src/worker', './src/primary'] },
  { target: './src/relay', from: ['./src/auth', './src/tls', './src/worker', './src/primary'] },
  { target: './src/tls', from: ['./src/auth', './src/relay', './src/worker', './src/primary'] },
  { target: './src/worker', from: ['./src/primary'] },
  { target: './src/primary', from: ['./src/protocol', './src/auth', './src/relay', './src/worker'] },
  { target: './auth-service', from: ['./src/protocol', './src/config', './src/relay', './src/worker', './src/primary', './src/tls', './src/log'] },
  { target: './src', from: ['./test', './bench', './auth-service'] },
];

export default tseslint.config(
  { ignores: ['build/**', '.perf-build/**', 'node_modules/**', 'coverage/**', 'bench/results/**', 'test-artifacts/**', 'eslint.config.js', 'scripts/*.js', 'bin/*.js', 'demo/*.js'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    plugins: { 'import-x': importX },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'import-x/no-cycle': 'error',
      'import-x/no-restricted-paths': ['error', { zones }],
      'no-restricted-imports': ['error', { paths: BARE_BUILTINS }],
    },
  },
  {
    files: ['src/protocol/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [
          ...BARE_BUILTINS,
          ...['node:net', 'node:tls', 'node:dgram', 'node:timers', 'node:fs', 'node:child_process', 'pino', 'node:http', 'node:dns'].map(
            (name) => ({ name, message: 'protocol/ is pure: no I/O, timers or logging' }),
          ),
        ],
      }],
      'no-restricted-globals': ['error', 'setTimeout', 'setInterval', 'setImmediate', 'clearTimeout', 'clearInterval'],
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-floating-promises': ['error', { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['it', 'describe', 'test', 'before', 'after', 'beforeEach', 'afterEach'] }] }],
    },
  },
);

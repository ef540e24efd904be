import { resolve } from 'node:path';

import { defineConfig } from 'vite';

/**
 * The console is built into dist/console (after `nest build`, which empties dist/) and served by the service
 * itself at `/`. Hashed file names let the service cache assets for good; no inline script or style, so the
 * page runs under a strict CSP.
 */
export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  publicDir: false,
  logLevel: 'warn',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: resolve(import.meta.dirname, '..', '..', 'dist', 'console'),
    emptyOutDir: true,
    target: 'es2022',
    // The preload polyfill would be an inline script; every browser the console targets has modulepreload.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    sourcemap: false,
    reportCompressedSize: false,
  },
});

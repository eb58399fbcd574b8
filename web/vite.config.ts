import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/**
 * The console's build: `web/` is the root, the output `web/dist`, every asset hashed under `/assets/`
 * (the server serves them as immutable). `index.html` keeps a plain module script (no inline script),
 * so the page runs under `script-src 'self'`.
 */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    assetsDir: 'assets',
    emptyOutDir: true,
    // No inlined data: URLs: the page's CSP allows assets from our origin only.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
  },
});

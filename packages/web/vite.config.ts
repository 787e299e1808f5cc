import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/**
 * The built app is served by @vigil/server under a strict Content-Security-Policy
 * (script-src 'self'; style-src 'self'): everything must end up in files under
 * dist/assets — no inline scripts or styles — which is what a production Vite build
 * of this app produces. `npm run dev` proxies /api to a locally running server.
 */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [react()],
  // Bundle @vigil/core's TypeScript sources (its browser-safe subpaths) rather than a prior build.
  resolve: { conditions: ['vigil-source', 'module', 'browser', 'default'] },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // Every browser we support has <link rel="modulepreload">; the polyfill is not needed.
    modulePreload: { polyfill: false },
    // Keep images and fonts as files: data: URLs are allowed for images only.
    assetsInlineLimit: 0,
  },
  server: {
    proxy: {
      // The development server (`vigil serve`) uses a self-signed certificate.
      '/api': { target: 'https://localhost:8443', changeOrigin: true, secure: false },
    },
  },
});

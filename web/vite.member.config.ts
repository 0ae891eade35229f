import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/**
 * The member pages' own build: web/member/index.html → dist/member/, served by the API at
 * /m/{organizationId}/ (assets at /m/assets/). Apart from the console's, so a diner's phone
 * loads none of the console's code.
 */
export default defineConfig({
  root: fileURLToPath(new URL('./member', import.meta.url)),
  base: '/m/',
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('../dist/member', import.meta.url)),
    emptyOutDir: true,
    // .vite/manifest.json: which chunks the entry loads first (web/scripts/member-bundle-size.ts).
    manifest: true,
    // The budget that matters is gzipped (150 KB, test/member-bundle.test.ts), not Vite's 500 KB minified.
    chunkSizeWarningLimit: 600,
  },
  server: {
    proxy: { '/v1': 'http://127.0.0.1:8080' },
  },
});

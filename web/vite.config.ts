import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/** The console's one build: web/console/index.html → dist/console/, served by the API at /console/. */
export default defineConfig({
  root: fileURLToPath(new URL('./console', import.meta.url)),
  base: '/console/',
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('../dist/console', import.meta.url)),
    emptyOutDir: true,
    chunkSizeWarningLimit: 1500,
  },
  server: {
    // `npm run web:dev`: the page is served by Vite, the API by `npm start` on 8080.
    proxy: { '/v1': 'http://127.0.0.1:8080' },
  },
});

import { defineConfig } from 'vite';

// The gateway serves dist/ at /; hashed files under /assets/ are cached for a year.
export default defineConfig({
  base: '/',
  build: { outDir: 'dist', emptyOutDir: true, assetsDir: 'assets', sourcemap: false, chunkSizeWarningLimit: 900 },
  server: { proxy: { '/api': 'http://127.0.0.1:8000', '/ui-config.json': 'http://127.0.0.1:8000' } },
});

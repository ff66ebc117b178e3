import { defineConfig } from 'vite';
import serviceWorker from './sw-plugin.js';

// The gateway serves dist/ at /; hashed files under /assets/ are cached for a year. dist/sw.js is the service
// worker that keeps the app on the device (sw-plugin.js).
export default defineConfig({
  base: '/',
  plugins: [serviceWorker()],
  build: { outDir: 'dist', emptyOutDir: true, assetsDir: 'assets', sourcemap: false, chunkSizeWarningLimit: 900 },
  // the server's texts come from ../shared/texts.json, the one catalogue the platform and the app share
  server: { fs: { allow: ['..'] }, proxy: { '/api': 'http://127.0.0.1:8000', '/ui-config.json': 'http://127.0.0.1:8000' } },
});

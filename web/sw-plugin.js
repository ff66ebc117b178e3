// Builds the service worker (src/sw.js) into dist/sw.js once the app is built: one classic script (no modules, so
// every browser with service workers runs it), given __SHELL__ — every file of this build, to keep on the device —
// and __VERSION__, a hash of them, which names its cache. A new build is a new sw.js, which the browser installs.
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { build } from 'vite';

function filesUnder(folder) {
  return readdirSync(folder).flatMap((name) => {
    const path = join(folder, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

export default function serviceWorker({ entry = 'src/sw.js' } = {}) {
  let config;
  const shell = new Map(); // path served → its content
  return {
    name: 'civicgrid-service-worker',
    apply: 'build',
    configResolved(resolved) { config = resolved; },
    writeBundle(_options, bundle) { // every file of the build, index.html too, is in the bundle by now
      for (const file of Object.values(bundle)) shell.set(`/${file.fileName}`, file.code ?? file.source);
    },
    async closeBundle() {
      const publicDir = config.publicDir;
      for (const path of publicDir ? filesUnder(publicDir) : []) {
        shell.set(`/${relative(publicDir, path).split('\\').join('/')}`, readFileSync(path));
      }
      const paths = [...shell.keys()].filter((path) => !path.endsWith('.map')).sort();
      const hash = createHash('sha256');
      for (const path of paths) hash.update(path).update(shell.get(path));
      await build({
        configFile: false,
        root: config.root,
        logLevel: 'warn',
        publicDir: false,
        define: { __SHELL__: JSON.stringify(paths), __VERSION__: JSON.stringify(hash.digest('hex').slice(0, 16)) },
        build: {
          outDir: config.build.outDir,
          emptyOutDir: false,
          copyPublicDir: false,
          lib: { entry, formats: ['iife'], name: 'civicgridServiceWorker', fileName: () => 'sw.js' },
        },
      });
    },
  };
}

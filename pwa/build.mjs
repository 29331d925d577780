// Builds the PWA into pwa/dist: hashed ES-module bundles, the shell page, static files, and
// a service worker whose precache list carries a content revision for every shell file.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const here = dirname(fileURLToPath(import.meta.url));
const src = join(here, 'src');
const dist = join(here, 'dist');
const production = process.env.NODE_ENV !== 'development';

rmSync(dist, { recursive: true, force: true });
mkdirSync(join(dist, 'assets'), { recursive: true });

// PouchDB's browser build is a classic script, loaded on first use by src/data/db.js: under a
// content-hashed name in /assets/ (cached for good), its name and size known to the app.
const pouch = readFileSync(join(here, '..', 'node_modules', 'pouchdb', 'dist', 'pouchdb.min.js'));
const pouchName = `pouchdb-${createHash('sha256').update(pouch).digest('hex').slice(0, 12)}.min.js`;
writeFileSync(join(dist, 'assets', pouchName), pouch);

const app = await build({
  entryPoints: { main: join(src, 'main.js'), app: join(src, 'app.css') },
  define: { __POUCH_URL__: JSON.stringify(`/assets/${pouchName}`), __POUCH_BYTES__: String(pouch.length) },
  outdir: join(dist, 'assets'),
  entryNames: '[name]-[hash]',
  chunkNames: 'chunk-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  target: ['chrome90', 'safari15', 'firefox90'],
  minify: production,
  sourcemap: false,
  metafile: true,
  legalComments: 'none',
  logLevel: 'warning',
});

// back-office pages are server-rendered; their small script keeps a stable name
await build({
  entryPoints: [join(src, 'backoffice.js')],
  outfile: join(dist, 'backoffice.js'),
  bundle: true,
  format: 'esm',
  target: ['chrome90', 'safari15', 'firefox90'],
  minify: production,
  legalComments: 'none',
  logLevel: 'warning',
});

const outputs = Object.keys(app.metafile.outputs).map((p) => relative(join(dist, 'assets'), p));
const jsEntry = outputs.find((f) => /^main-.*\.js$/.test(f));
const cssEntry = outputs.find((f) => /^app-.*\.css$/.test(f));

cpSync(join(here, 'public'), dist, { recursive: true });
writeFileSync(
  join(dist, 'index.html'),
  readFileSync(join(src, 'index.html'), 'utf8').replace('%JS%', jsEntry).replace('%CSS%', cssEntry),
);

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

// Chunks only some people need are not precached at install, so a first visit stays small:
// the upload client (used only online), photo compression, the field officer's screens, the
// export, the inbox and notification screens (only for someone signed in) and the English
// catalog (fetched when chosen). A signed-in device fetches them once in the background (src/warm.js) and the service
// worker keeps every /assets/ file it serves (hashed names never change), so they work offline.
const DEFERRED_INPUTS = ['node_modules/tus-js-client/', 'node_modules/browser-image-compression/', 'pwa/src/ui/officer.js',
  'pwa/src/ui/exporter.js', 'pwa/src/locales/en.json', 'pwa/src/ui/inbox.js', 'pwa/src/ui/notify.js', 'pwa/src/data/push.js'];
const deferred = Object.entries(app.metafile.outputs)
  .filter(([, out]) => Object.keys(out.inputs).some((input) => DEFERRED_INPUTS.some((d) => input.startsWith(d))))
  .map(([path]) => '/assets/' + relative(join(dist, 'assets'), path));

// Hashed bundles carry their revision in the name; every other file gets a content hash.
const precache = walk(dist)
  .map((path) => '/' + relative(dist, path))
  .filter((url) => !url.endsWith('.map') && url !== '/sw.js' && url !== '/backoffice.js' && !url.includes('/maskable-'))
  .filter((url) => !deferred.includes(url))
  .sort()
  .map((url) => (url.startsWith('/assets/')
    ? { url, revision: null }
    : { url, revision: createHash('sha256').update(readFileSync(join(dist, url))).digest('hex').slice(0, 16) }));

await build({
  entryPoints: [join(src, 'sw.js')],
  outfile: join(dist, 'sw.js'),
  bundle: true,
  format: 'iife',
  target: ['chrome90', 'safari15'],
  minify: production,
  define: {
    'self.__PRECACHE_MANIFEST': JSON.stringify(precache),
    'self.__DEFERRED_ASSETS': JSON.stringify(deferred),
    'process.env.NODE_ENV': JSON.stringify(production ? 'production' : 'development'),
  },
  legalComments: 'none',
  logLevel: 'warning',
});

const sizes = walk(dist).filter((p) => /\.(js|css|html|webmanifest)$/.test(p)).map((p) => {
  const body = readFileSync(p);
  return `${relative(dist, p).padEnd(34)} ${String(body.length).padStart(7)} B  ${String(gzipSync(body).length).padStart(6)} B gz`;
});
console.log(`PWA built into ${relative(process.cwd(), dist) || dist} (${precache.length} files precached, `
  + `${deferred.length} fetched after sign-in)\n${sizes.join('\n')}`);

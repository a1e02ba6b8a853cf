#!/usr/bin/env node
// Bundles the web chat widget (adapters/web/widget, TypeScript) into one ES2020 script,
// dist/web/widget.js (+ its source map), which the web channel serves at /widget.js.
// `npm run build` runs it; so do `npm start` (through build-if-needed) and the test suite's
// global set-up, each only when a source is newer than the bundle.
const { existsSync, mkdirSync, readdirSync, statSync } = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const sources = [path.join(root, 'adapters/web/widget'), path.join(root, 'adapters/web/wire.ts')];
const entry = path.join(root, 'adapters/web/widget/index.ts');
const outfile = path.join(root, 'dist/web/widget.js');

function newestSource() {
  let newest = 0;
  const visit = (file) => {
    const stat = statSync(file);
    if (stat.isDirectory()) for (const name of readdirSync(file)) visit(path.join(file, name));
    else newest = Math.max(newest, stat.mtimeMs);
  };
  for (const source of sources) if (existsSync(source)) visit(source);
  return newest;
}

/** Builds the bundle; with `onlyIfStale`, only when it is missing or older than a source. */
function buildWidget({ onlyIfStale = false } = {}) {
  if (!existsSync(entry)) return false; // a production image: dist/ was built in the build stage
  if (onlyIfStale && existsSync(outfile) && statSync(outfile).mtimeMs >= newestSource()) return false;
  const esbuild = require('esbuild');
  mkdirSync(path.dirname(outfile), { recursive: true });
  esbuild.buildSync({
    entryPoints: [entry],
    outfile,
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2020',
    minify: true,
    sourcemap: 'linked',
    legalComments: 'none',
    banner: {
      js: '/*! Switchboard web chat widget (MIT). Source: adapters/web/widget; embedding: adapters/web/README.md */',
    },
    logLevel: 'warning',
  });
  return true;
}

module.exports = { buildWidget, widgetFile: outfile };

if (require.main === module) buildWidget();

#!/usr/bin/env node
// Compiles the TypeScript sources into dist/ (incremental, so a no-op build takes about
// a second) and bundles the web chat widget when its sources changed. In a production image there are no sources and dist/ was built in the build
// stage: then this does nothing.
const { existsSync } = require('node:fs');
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const hasSources = existsSync(path.join(root, 'src')) && existsSync(path.join(root, 'tsconfig.build.json'));
if (!hasSources) {
  // A production image ships dist/ without the sources.
  if (!existsSync(path.join(root, 'dist/src/index.js'))) {
    console.error('switchboard: dist/ is missing and there are no sources to build it from.');
    process.exit(1);
  }
  process.exit(0);
}
let tsc;
try {
  tsc = require.resolve('typescript/bin/tsc', { paths: [root] });
} catch {
  if (!existsSync(path.join(root, 'dist/src/index.js'))) {
    console.error('switchboard: dist/ is missing and TypeScript is not installed. Run `npm install` first.');
    process.exit(1);
  }
  process.exit(0);
}
const result = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json')], {
  stdio: 'inherit',
});
if (result.status !== 0) process.exit(result.status ?? 1);
// The web chat widget (adapters/web/widget → dist/web/widget.js), when a source changed.
require('./build-widget.cjs').buildWidget({ onlyIfStale: true });

#!/usr/bin/env node
// The `switchboard` command, and a composition root: it hands the channel registry to the CLI
// (the kernel in dist/src names no channel). npm builds dist/ on install and before `npm start`.
const { channels } = require('../dist/adapters/index.js');
require('../dist/src/cli/main.js').main(process.argv.slice(2), { channels });

#!/usr/bin/env node
// The `switchboard` command. Runs the compiled CLI (npm builds it on install and before `npm start`).
require('../dist/src/cli/main.js').main(process.argv.slice(2));

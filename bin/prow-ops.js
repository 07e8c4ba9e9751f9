#!/usr/bin/env node
// Entry point: the compiled CLI lives in dist/ (built by `npm ci` via `prepare`, or `npm run build`).
try {
  require("../dist/cli/main.js");
} catch (err) {
  if (err && err.code === "MODULE_NOT_FOUND" && String(err.message).includes("dist/cli/main.js")) {
    process.stderr.write("prow-ops is not built yet: run `npm run build` (or `npm ci`) in the project folder.\n");
    process.exit(2);
  }
  throw err;
}

#!/usr/bin/env node
/**
 * The real clusterctl ($REAL_CLUSTERCTL), every call recorded in $CLUSTERCTL_LOG so a test can
 * assert what a runbook asked of it.
 */
const { spawnSync } = require("node:child_process");
const { appendFileSync } = require("node:fs");

const args = process.argv.slice(2);
if (process.env.CLUSTERCTL_LOG) appendFileSync(process.env.CLUSTERCTL_LOG, `${args.join(" ")}\n`);
const res = spawnSync(process.env.REAL_CLUSTERCTL, args, { stdio: "inherit" });
process.exit(res.status ?? 1);

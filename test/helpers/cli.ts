import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { PROJECT_ROOT } from "./config";

/** Runs the built CLI as a user would (bin/prow-ops.js), capturing output and exit code. */
export function runCli(args: string[], env: Record<string, string> = {}) {
  const res = spawnSync(process.execPath, [join(PROJECT_ROOT, "bin/prow-ops.js"), ...args], { encoding: "utf8", env: { ...process.env, ...env } });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}

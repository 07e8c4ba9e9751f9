/**
 * A project folder for driving `prow-ops` as a user would against the test bed: Pulumi.yaml,
 * a stack file holding the test-bed config, dist/ and node_modules/ linked (so the plain
 * pulumi CLI can run the program too), a local file backend inside it.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { copyFileSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dump } from "js-yaml";
import { MIRROR, PROJECT_ROOT } from "../../helpers/config";
import type { ControlPlane } from "../../../cli/lib/sandbox/control-plane";
import { testConfig } from "./testbed";

export interface CliProject {
  dir: string;
  stack: string;
  stackFile: string;
  env: Record<string, string>;
  run(args: string[], o?: { input?: string; onStderr?: (text: string, child: ChildProcess) => void; onSpawn?: (child: ChildProcess) => void }): Promise<{ code: number | null; stdout: string; stderr: string }>;
}

export const PASSPHRASE = "cli-integration-passphrase";

export interface CliProjectOptions {
  /** Changes the test-bed config before the stack file is written. */
  config?: (c: Record<string, unknown>) => Record<string, unknown>;
  /** Runs the CLI through a launcher (a host of the local cloud: ip netns exec <ns>). */
  wrap?: string[];
}

export function cliProject(management: ControlPlane, workload: ControlPlane, layers: string[], stack = "it", project: CliProjectOptions = {}): CliProject {
  const dir = mkdtempSync(join(tmpdir(), "prow-ops-cli-"));
  copyFileSync(join(PROJECT_ROOT, "Pulumi.yaml"), join(dir, "Pulumi.yaml"));
  symlinkSync(join(PROJECT_ROOT, "dist"), join(dir, "dist"));
  symlinkSync(join(PROJECT_ROOT, "node_modules"), join(dir, "node_modules"));
  const config = Object.fromEntries(Object.entries((project.config ?? ((c) => c))(testConfig(management, workload, layers))).map(([k, v]) => [`prow-ops:${k}`, v]));
  const stackFile = join(dir, `Pulumi.${stack}.yaml`);
  writeFileSync(stackFile, `# test-bed stack\n${dump({ config }, { lineWidth: -1, noRefs: true })}`);
  const env = {
    PROW_OPS_PROJECT_DIR: dir,
    PULUMI_CONFIG_PASSPHRASE: PASSPHRASE,
    PROW_OPS_MIRROR: MIRROR,
    PROW_OPS_CACHE: join(dir, ".cache"),
    PULUMI_SKIP_CHECKPOINTS: "true",
    PROW_OPS_RUNTIME_DIR: join(dir, ".run"),
  };
  const run: CliProject["run"] = (args, o = {}) =>
    new Promise((resolve) => {
      const argv = [...(project.wrap ?? []), process.execPath, join(PROJECT_ROOT, "bin/prow-ops.js"), "--stack", stack, ...args];
      const child = spawn(argv[0], argv.slice(1), { env: { ...process.env, ...env }, cwd: dir });
      o.onSpawn?.(child);
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d) => {
        stdout += d;
      });
      child.stderr.on("data", (d) => {
        stderr += d;
        o.onStderr?.(stderr, child);
      });
      child.stdin.end(o.input ?? "");
      child.on("close", (code) => resolve({ code, stdout, stderr }));
    });
  return { dir, stack, stackFile, env, run };
}

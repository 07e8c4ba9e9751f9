/**
 * Which pulumi CLI runs the stack: the one on PATH, else the test bed's (.tools/, built by
 * `npm run testbed:setup`, with its own PULUMI_HOME holding the provider plugins).
 */
import { createHash } from "node:crypto";
import { accessSync, chmodSync, constants, existsSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { SetupError } from "../../../stacks/core/errors";

export interface PulumiCli {
  /** Folder holding bin/pulumi (what the Automation API's PulumiCommand wants). */
  readonly root: string;
  readonly command: string;
  /** Environment for the CLI and its plugins. */
  readonly env: Record<string, string>;
  readonly source: "PATH" | "test bed";
}

const executable = (path: string) => {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

export function onPath(name: string, path = process.env.PATH ?? ""): string | undefined {
  return path
    .split(delimiter)
    .filter(Boolean)
    .map((dir) => join(dir, name))
    .find(executable);
}

const QUIET = { PULUMI_SKIP_UPDATE_CHECK: "true" };
/** The test bed's plugins are all local: a missing one fails at once instead of being downloaded. */
const OFFLINE = { ...QUIET, PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true" };

/** `installDir`: this installation of prow-ops, where the test bed's .tools/ lives. */
export function findPulumi(installDir: string, env: NodeJS.ProcessEnv = process.env): PulumiCli {
  const fromPath = onPath("pulumi", env.PATH);
  if (fromPath) return { root: dirname(dirname(fromPath)), command: fromPath, env: { ...QUIET }, source: "PATH" };
  const tools = join(installDir, ".tools");
  const testBed = join(tools, "bin", "pulumi");
  if (existsSync(testBed)) {
    return {
      root: tools,
      command: testBed,
      env: { ...OFFLINE, PATH: `${join(tools, "bin")}${delimiter}${env.PATH ?? ""}`, PULUMI_HOME: env.PULUMI_HOME ?? join(tools, "pulumi-home") },
      source: "test bed",
    };
  }
  throw new SetupError(
    "no pulumi CLI found: install Pulumi (https://www.pulumi.com/docs/iac/download-install/) so that `pulumi` is on PATH, or build the test bed's with `npm run testbed:setup`.",
  );
}

/**
 * A pulumi that ignores the terminal's Ctrl-C. The terminal sends SIGINT to the whole
 * foreground process group; pulumi would take it as "cancel" and then our own forwarded
 * SIGINT as "terminate now", which leaves the stack locked. Started through setsid, pulumi
 * hears only the one SIGINT prow-ops sends it, and cancels cleanly.
 */
export function ownSessionRoot(cli: PulumiCli): string {
  const setsid = onPath("setsid");
  if (!setsid) return cli.root;
  const dir = join(tmpdir(), `prow-ops-${process.getuid?.() ?? "user"}`, `pulumi-${createHash("sha256").update(cli.command).digest("hex").slice(0, 12)}`);
  const shim = join(dir, "bin", "pulumi");
  if (!existsSync(shim)) {
    mkdirSync(dirname(shim), { recursive: true });
    const partial = `${shim}.${process.pid}`;
    writeFileSync(partial, `#!/bin/sh\nexec ${setsid} ${shellQuote(cli.command)} "$@"\n`);
    chmodSync(partial, 0o755);
    renameSync(partial, shim);
  }
  return dir;
}

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** The global options every command shares, resolved once. */
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Command } from "commander";
import { projectRoot } from "../../stacks/core/paths";
import { createReporter, type Reporter } from "./reporter";

export interface GlobalOptions {
  stack: string;
  backend?: string;
  projectDir?: string;
  json: boolean;
  yes: boolean;
  verbose: boolean;
  color: boolean;
}

export interface Context {
  readonly options: GlobalOptions;
  readonly reporter: Reporter;
  /** The folder holding Pulumi.yaml and the stack files. */
  readonly projectDir: string;
  readonly stackFile: string;
}

/** The current folder when it is a prow-ops project (a checkout of the infrastructure), else this installation's. */
function defaultProjectDir(cwd = process.cwd()): string {
  const file = join(cwd, "Pulumi.yaml");
  if (existsSync(file) && /^name:\s*prow-ops\s*$/m.test(readFileSync(file, "utf8"))) return cwd;
  return projectRoot();
}

export function contextOf(cmd: Command): Context {
  const o = cmd.optsWithGlobals() as GlobalOptions;
  const projectDir = resolve(o.projectDir ?? process.env.PROW_OPS_PROJECT_DIR ?? defaultProjectDir());
  const color = o.color !== false && !process.env.NO_COLOR && process.stderr.isTTY === true;
  const options = { ...o, json: Boolean(o.json), yes: Boolean(o.yes), verbose: Boolean(o.verbose), color };
  return { options, reporter: createReporter(options), projectDir, stackFile: join(projectDir, `Pulumi.${o.stack}.yaml`) };
}

/**
 * The Pulumi Automation API around the program: one inline program, a local file backend
 * and the passphrase secrets provider by default (nothing needs an account).
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { type ConfigMap, LocalWorkspace, PulumiCommand, type Stack } from "@pulumi/pulumi/automation";
import { PROJECT } from "../../config/load";
import type { FetchOptions } from "../../stacks/core/upstream";
import { program } from "../../stacks/program";
import execa from "execa";

export interface StackOptions {
  stackName: string;
  /** Pulumi backend URL; default file://<project>/.pulumi-state. */
  backendUrl: string;
  /** Folder for the workspace's stack settings (Pulumi.<stack>.yaml of this workspace). */
  workDir: string;
  /** Folder holding bin/pulumi; default: the pulumi on PATH. */
  pulumiRoot?: string;
  /** Extra environment for the CLI and providers (PULUMI_HOME, PULUMI_CONFIG_PASSPHRASE, ...). */
  env?: Record<string, string>;
  fetch?: FetchOptions;
}

export async function openStack(opts: StackOptions): Promise<Stack> {
  mkdirSync(opts.workDir, { recursive: true });
  const pulumiCommand = opts.pulumiRoot ? await PulumiCommand.get({ root: opts.pulumiRoot }) : undefined;
  return LocalWorkspace.createOrSelectStack(
    { stackName: opts.stackName, projectName: PROJECT, program: () => program(opts.fetch) },
    {
      workDir: opts.workDir,
      pulumiCommand,
      projectSettings: { name: PROJECT, runtime: "nodejs", backend: { url: opts.backendUrl } },
      secretsProvider: "passphrase",
      envVars: { PULUMI_BACKEND_URL: opts.backendUrl, ...opts.env },
    },
  );
}

/** Plain stack config as the program reads it: objects as JSON strings. */
export function toConfigMap(values: Record<string, unknown>): ConfigMap {
  const map: ConfigMap = {};
  for (const [k, v] of Object.entries(values)) map[`${PROJECT}:${k}`] = { value: typeof v === "string" ? v : JSON.stringify(v) };
  return map;
}

/**
 * Sets a secret config value through stdin of `pulumi config set --secret`: the Automation
 * API's setConfig would put the value on the command line, visible to every process.
 */
export async function setSecret(stack: Stack, key: string, value: string): Promise<void> {
  if (value.includes("\n")) throw new Error(`secret ${key} spans several lines; store a path to a file instead`);
  const ws = stack.workspace as LocalWorkspace;
  await execa(ws.pulumiCommand.command, ["config", "set", "--secret", "--stack", stack.name, `${PROJECT}:${key}`, "--non-interactive"], {
    cwd: ws.workDir,
    env: { ...ws.envVars },
    input: `${value}\n`,
  });
}

export const defaultBackend = (projectRoot: string) => `file://${join(projectRoot, ".pulumi-state")}`;

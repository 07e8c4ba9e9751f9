/**
 * Opens the project's stack through the Automation API: the project folder's own Pulumi.yaml
 * and Pulumi.<stack>.yaml (exactly what a plain `pulumi preview` there reads), our program
 * inline, the backend from --backend / PULUMI_BACKEND_URL / the embedded default, and the
 * stack selected or created. Every missing piece is refused with what to do, before the
 * engine starts.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import type { Stack } from "@pulumi/pulumi/automation";
import { load } from "js-yaml";
import { SetupError } from "../../../stacks/core/errors";
import { projectRoot } from "../../../stacks/core/paths";
import type { FetchOptions } from "../../../stacks/core/upstream";
import { processAlive } from "../process-alive";
import { diagnose, engineErrorLines } from "./diagnose";
import { findPulumi, ownSessionRoot, type PulumiCli } from "./pulumi-cli";

export interface StackTarget {
  projectDir: string;
  stack: string;
  /** --backend; default PULUMI_BACKEND_URL, else file://<project>/.pulumi-state. */
  backend?: string;
  fetch?: FetchOptions;
  env?: NodeJS.ProcessEnv;
}

export interface OpenedStack {
  stack: Stack;
  backend: string;
  cli: PulumiCli;
  stackName: string;
}

export const DEFAULT_STATE_DIR = ".pulumi-state";

/** The backend URL; the embedded default's folder is created (`pulumi login` needs it to exist). */
export function backendUrl(t: StackTarget, env: NodeJS.ProcessEnv = t.env ?? process.env): string {
  const url = t.backend ?? env.PULUMI_BACKEND_URL ?? `file://${join(t.projectDir, DEFAULT_STATE_DIR)}`;
  if (url.startsWith("file://")) mkdirSync(url.slice("file://".length).replace(/^~(?=\/)/, env.HOME ?? "~"), { recursive: true });
  return url;
}

/** The stack file's secrets provider; none means the passphrase provider. */
export function secretsProviderOf(stackFile: string): string {
  if (!existsSync(stackFile)) return "passphrase";
  const doc = (load(readFileSync(stackFile, "utf8")) ?? {}) as { secretsprovider?: string };
  return doc.secretsprovider ?? "passphrase";
}

export function requirePassphrase(stack: string, stackFile: string, env: NodeJS.ProcessEnv): void {
  if (secretsProviderOf(stackFile) !== "passphrase") return;
  if (env.PULUMI_CONFIG_PASSPHRASE !== undefined || env.PULUMI_CONFIG_PASSPHRASE_FILE) return;
  throw new SetupError(`stack ${stack} keeps its secrets with a passphrase: set PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE, a file holding it) and run again.`);
}

export async function openProjectStack(t: StackTarget): Promise<OpenedStack> {
  const env = t.env ?? process.env;
  if (!existsSync(join(t.projectDir, "Pulumi.yaml"))) throw new SetupError(`${t.projectDir} holds no Pulumi.yaml: run prow-ops in the project folder, or give --project-dir.`);
  const stackFile = join(t.projectDir, `Pulumi.${t.stack}.yaml`);
  if (!existsSync(stackFile)) {
    throw new SetupError(`stack ${t.stack} has no configuration: ${stackFile} does not exist. Start a new stack from the production one (cp Pulumi.prow.yaml Pulumi.${t.stack}.yaml) and adapt it, or pick another --stack.`);
  }
  requirePassphrase(t.stack, stackFile, env);
  const cli = findPulumi(projectRoot(), env);
  const backend = backendUrl(t, env);
  // Loaded on use: the Automation API and the program are the heaviest modules of the CLI.
  const { LocalWorkspace, PulumiCommand, Stack } = await import("@pulumi/pulumi/automation");
  const { program } = await import("../../../stacks/program");
  const pulumiCommand = await PulumiCommand.get({ root: ownSessionRoot(cli) });
  const ws = await LocalWorkspace.create({
    workDir: t.projectDir,
    pulumiCommand,
    program: () => program(t.fetch),
    envVars: { ...cli.env, PULUMI_BACKEND_URL: backend },
    ...(secretsProviderOf(stackFile) === "passphrase" ? { secretsProvider: "passphrase" } : {}),
  });
  breakStaleEngineLock(backend, t.stack);
  try {
    const stack = await Stack.createOrSelect(t.stack, ws);
    return { stack, backend, cli, stackName: t.stack };
  } catch (err) {
    const text = `${(err as Error).message}`;
    throw diagnose(text, { stack: t.stack, backend }) ?? new SetupError(`cannot open stack ${t.stack} on ${backend}: ${engineErrorLines(text)[0] ?? text.split("\n")[0]}`, { cause: err });
  }
}

/**
 * A file backend's engine lock left by a pulumi of this machine that is gone (killed with the
 * prow-ops that ran it) is removed, as `pulumi cancel` would; anyone else's is left alone and
 * reported when the engine refuses.
 */
export function breakStaleEngineLock(backend: string, stack: string): void {
  if (!backend.startsWith("file://")) return;
  const dir = join(backend.slice("file://".length), ".pulumi", "locks", "organization", "prow-ops", stack);
  if (!existsSync(dir)) return;
  for (const f of readdirSync(dir).filter((n) => n.endsWith(".json"))) {
    const lock = JSON.parse(readFileSync(join(dir, f), "utf8")) as { pid?: number; hostname?: string };
    if (lock.hostname === hostname() && lock.pid && !processAlive(lock.pid)) rmSync(join(dir, f), { force: true });
  }
}

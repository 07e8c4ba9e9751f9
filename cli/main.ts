/** prow-ops: the CLI entry. Only this file sets exit codes. */
import { join } from "node:path";
import { Command, CommanderError, Option } from "commander";
import { projectRoot } from "../stacks/core/paths";
import { ProwOpsError } from "../stacks/core/errors";
import { registerAccess } from "./commands/access";
import { registerClusterCommands } from "./commands/cluster";
import { registerConfig } from "./commands/config";
import { registerLifecycle } from "./commands/lifecycle";
import { registerRender } from "./commands/render";
import { registerRepo } from "./commands/repo";
import { registerSandbox } from "./commands/sandbox";
import { registerRuns } from "./commands/runbook";
import { registerSecrets } from "./commands/secrets";
import { registerStackCommands } from "./commands/stack";
import { EXIT, EXIT_CODES_HELP, exitCodeOf } from "./lib/exit-codes";
import { mask } from "./lib/mask";

const VERSION = (require(join(projectRoot(), "package.json")) as { version: string }).version;

export function buildProgram(): Command {
  const program = new Command("prow-ops")
    .description("Build and run the Metal3 Prow CI infrastructure: the Pulumi stack and the runbooks around it")
    .version(VERSION, "-V, --version", "print the prow-ops version")
    .option("-s, --stack <name>", "stack name (Pulumi.<name>.yaml)", "prow")
    .option("--backend <url>", "Pulumi state backend (default $PULUMI_BACKEND_URL, else file://<project>/.pulumi-state)")
    .option("--json", "machine-readable output on stdout (human output stays on stderr)")
    .option("-y, --yes", "answer yes to confirmations (needed without a terminal)")
    .option("-v, --verbose", "show the causes of errors")
    .option("--no-color", "no colors")
    .addOption(new Option("--project-dir <dir>", "folder holding Pulumi.yaml and the stack files (default: this project)").hideHelp())
    .addHelpText("after", `\n${EXIT_CODES_HELP}\n`)
    .showHelpAfterError()
    .showSuggestionAfterError()
    .exitOverride()
    .configureOutput({ writeOut: (s) => process.stdout.write(s), writeErr: (s) => process.stderr.write(s) });
  registerStackCommands(program);
  registerClusterCommands(program);
  registerAccess(program);
  registerLifecycle(program);
  registerConfig(program);
  registerSecrets(program);
  registerRepo(program);
  registerRender(program);
  registerRuns(program);
  registerSandbox(program);
  const all = (c: Command): Command[] => [c, ...c.commands.flatMap(all)];
  for (const cmd of all(program).slice(1)) cmd.exitOverride().showSuggestionAfterError();
  return program;
}

function causes(err: unknown): string {
  const lines: string[] = [];
  for (let e = (err as { cause?: unknown })?.cause; e; e = (e as { cause?: unknown }).cause) lines.push(`caused by: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  return lines.join("\n");
}

/**
 * The API load balancer is an IP address, so kubeconfigs through the bastion verify its
 * certificate with an IP as tls-server-name; Node warns about an IP as the TLS server name
 * (DEP0123) on every connection. The check itself is what we want; the warning is noise.
 */
function quietIpServerNameWarning(): void {
  const emit = process.emitWarning.bind(process);
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const code = typeof rest[0] === "object" ? (rest[0] as { code?: string }).code : rest[1];
    if (code === "DEP0123") return;
    (emit as (...a: unknown[]) => void)(warning, ...rest);
  }) as typeof process.emitWarning;
}

export async function main(argv: string[]): Promise<number> {
  quietIpServerNameWarning();
  const verbose = argv.includes("--verbose") || argv.includes("-v");
  try {
    await buildProgram().parseAsync(argv);
    return EXIT.done;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.done : EXIT.usage;
    if (err instanceof ProwOpsError) {
      process.stderr.write(mask(`error: ${err.message}\n`));
      if (verbose && err.cause) process.stderr.write(mask(`${causes(err)}\n`));
      return exitCodeOf(err);
    }
    const e = err as Error;
    process.stderr.write(mask(`error: ${e?.message ?? String(err)}\n${verbose ? `${e?.stack ?? ""}\n` : "(run again with --verbose for the details)\n"}`));
    return EXIT.failed;
  }
}

if (require.main === module || process.argv[1]?.endsWith("prow-ops.js") || process.argv[1]?.endsWith("prow-ops")) {
  main(process.argv).then((code) => {
    // A command that passes on another process's exit code (sandbox run) has set it already.
    process.exitCode = code === EXIT.done ? (process.exitCode ?? code) : code;
  });
}

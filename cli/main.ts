/** prow-ops: the CLI entry. Only this file sets exit codes. */
import { Command, CommanderError } from "commander";
import { ProwOpsError } from "../stacks/core/errors";
import { registerRender } from "./commands/render";

export function buildProgram(): Command {
  const program = new Command("prow-ops")
    .description("Build and run the Metal3 Prow CI infrastructure: Pulumi stacks plus the runbooks around them")
    .option("-s, --stack <name>", "stack name (Pulumi.<name>.yaml)", "prow")
    .showHelpAfterError()
    .exitOverride();
  registerRender(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    if (err instanceof ProwOpsError) {
      process.stderr.write(`error: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

if (require.main === module || process.argv[1]?.endsWith("prow-ops.js") || process.argv[1]?.endsWith("prow-ops")) {
  main(process.argv).then((code) => {
    process.exitCode = code;
  });
}

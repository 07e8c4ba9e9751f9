import { resolve } from "node:path";
import type { Command } from "commander";
import { UsageError } from "../../stacks/core/errors";
import { examples } from "./help";

export function registerRender(program: Command): void {
  program
    .command("render")
    .description("write every resource each layer declares to DIR/<layer>.yaml, offline (no engine, no cloud, no credentials)")
    .option("-o, --out <dir>", "output folder (required)")
    .option("--mirror <dir>", "folder holding the pinned upstream manifests (any path; matched by sha256); default $PROW_OPS_MIRROR")
    .option("--config <file>", "stack file to read (default Pulumi.<stack>.yaml in the project)")
    .addHelpText("after", examples(["prow-ops render --out /tmp/render", "prow-ops render --out /tmp/render --mirror ../shared/upstream"]))
    .action(async (opts: { out?: string; mirror?: string; config?: string }, cmd: Command) => {
      if (!opts.out) throw new UsageError("render needs an output folder: --out <dir> (e.g. prow-ops render --out /tmp/render)");
      // Loaded on use: `prow-ops --help` must start fast.
      const { readStackFile } = await import("../../config/load");
      const { fromRoot } = await import("../../stacks/core/paths");
      const { render } = await import("../lib/render");
      const stack = cmd.optsWithGlobals().stack as string;
      const { StackFile } = await import("../lib/stack-file");
      const file = opts.config ? resolve(opts.config) : fromRoot(`Pulumi.${stack}.yaml`);
      const config = readStackFile(file);
      // Secrets the stack file sets replace the resources that would create them.
      const results = await render(config, resolve(opts.out), { mirror: opts.mirror }, new Set(StackFile.load(file).secretsSet()));
      for (const r of results) process.stderr.write(`${r.layer.padEnd(18)} ${String(r.count).padStart(4)} resources  ${r.file}\n`);
    });
}
